"""Bad assertion parameters fail at plan time, with the assertion's location."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from metric_harness import check

from llmeval.domain.location import Location
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError, SecurityError
from llmeval.metrics import registry
from llmeval.metrics.base import BuildContext

LOC = Location("suites/faq.yaml", 12, 9)

BAD: list[tuple[str, Any, dict[str, Any], str]] = [
    ("regex", "([a-z", {}, "invalid regex"),
    ("regex", "", {}, "pattern"),
    ("contains", "", {}, "string or number"),
    ("contains", float("nan"), {}, "string or number"),
    ("contains", True, {}, "string or number"),
    ("icontains", {"a": 1}, {}, "string or number"),
    ("contains-any", '"unterminated', {}, "unterminated"),
    ("contains-any", '"hello"world', {}, "comma after a quoted field"),
    ("contains-any", '"hello" world', {}, "comma after a quoted field"),
    ("contains-all", {"a": 1}, {}, "list"),
    ("starts-with", 5, {}, "string"),
    ("is-json", {"type": "nonsense"}, {}, "invalid JSON schema"),
    ("is-json", {"minimum": "zero"}, {}, "invalid JSON schema"),
    ("contains-json", "- just\n- a list", {}, "must be a mapping"),
    ("json-schema", "file://missing.json", {}, "not found"),
    ("word-count", {"min": 5, "max": 2}, {}, "less than or equal"),
    ("word-count", {}, {}, "min"),
    ("word-count", "many", {}, "number"),
    ("word-count", {"min": 1, "most": 3}, {}, "unknown keys"),
    ("levenshtein", 3, {}, "reference"),
    ("rouge-n", "ref", {"options": {"n": 0}}, "'n'"),
    ("rouge-l", "ref", {"options": {"stemmer": True}}, "unknown option"),
    ("bleu", "ref", {"options": {"tokenize": "whitespace"}}, "tokenize"),
    ("chrf", "ref", {"options": {"word_order": 5}}, "word_order"),
    ("contains", "x", {"options": {"case": "insensitive"}}, "unknown option"),
    ("latency", None, {}, "needs a threshold"),
    ("cost", None, {}, "needs a threshold"),
    ("latency", None, {"threshold": -1}, "negative"),
    ("levenshtein", "x", {"threshold": -1}, "negative"),
    ("classification", None, {"options": {"extract": "label: (\\w+) (\\w+)"}}, "one group"),
    ("classification", None, {"options": {"labels": "a,b"}}, "list"),
    ("classification", None, {"options": {"labels": ["a"], "map": {"x": "b"}}}, "not in 'labels'"),
    ("classification", "c", {"options": {"labels": ["a", "b"]}}, "not in 'labels'"),
    ("classification", None, {"options": {"normalize": "yes"}}, "true or false"),
    ("python", "scorer.txt", {}, ".py"),
    ("python", "missing.py:check", {}, "does not exist"),
    ("python", "ok.py:nope", {}, "no function 'nope'"),
    ("python", "broken.py:check", {}, "line 1"),
    ("python", "ok.py:check", {"options": {"timeout_s": 0}}, "timeout_s"),
    ("equalz", "x", {}, "did you mean 'equals'"),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "ok.py").write_text("def check(output, context):\n    return True\n")
    (tmp_path / "broken.py").write_text("def check(output:\n")
    return tmp_path


@pytest.mark.parametrize(("type_", "value", "kw", "message"), BAD)
def test_bad_parameters_fail_at_plan_time_with_location(
    project: Path, type_: str, value: Any, kw: dict[str, Any], message: str
) -> None:
    spec = AssertionSpec(type=type_, value=value, location=LOC, **kw)
    with pytest.raises(ConfigError) as info:
        registry.build(spec, BuildContext(root=project))
    assert message in info.value.message
    assert str(info.value).startswith("suites/faq.yaml:12:9: ")


@pytest.mark.parametrize("type_", ["contains", "regex", "starts-with", "word-count", "json-schema"])
def test_missing_value_is_a_config_error(type_: str) -> None:
    with pytest.raises(ConfigError, match="needs a 'value'"):
        registry.build(AssertionSpec(type=type_, location=LOC), BuildContext(root=Path.cwd()))


@pytest.mark.parametrize(
    ("type_", "value"),
    [("is-json", "file://../outside.json"), ("python", "../outside.py:check")],
)
def test_paths_outside_the_project_are_security_errors(
    tmp_path: Path, type_: str, value: str
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "outside.json").write_text("{}")
    (tmp_path / "outside.py").write_text("def check(o, c):\n    return True\n")
    with pytest.raises(SecurityError, match="outside the project"):
        registry.build(AssertionSpec(type=type_, value=value), BuildContext(root=root))


def test_schema_file_under_root_is_loaded(tmp_path: Path) -> None:
    schema = {"type": "object", "required": ["name"]}
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "person.json").write_text(json.dumps(schema))
    ok = check("is-json", '{"name": "Ada"}', "file://schemas/person.json", root=tmp_path)
    bad = check("is-json", '{"age": 3}', "file://schemas/person.json", root=tmp_path)
    assert ok.passed is True and bad.passed is False


def test_yaml_schema_file_is_loaded(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("type: object\nrequired: [a]\n")
    assert check("contains-json", 'x {"a": 1} y', "file://s.yaml", root=tmp_path).passed is True
