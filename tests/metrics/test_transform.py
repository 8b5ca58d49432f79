"""transform: promptfoo's JavaScript over the output before asserting (case, defaults
and assertion level), run by the embedded engine; without it, a validate error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from llmeval import api
from llmeval.config.project import load_project
from llmeval.errors import ConfigErrors

APP = """
import json


def answer(vars):
    if vars["kind"] == "json":
        return json.dumps({"color": "purple", "countries": ["Brazil", "India"]})
    return "  plain text  "
"""


def _project(tmp_path: Path, suite: str) -> Path:
    (tmp_path / "llmeval.yaml").write_text(
        "models: {app: {provider: python, target: app.py:answer}}\ndefaults: {models: [app]}\n"
    )
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "t.yaml").write_text(suite)
    return tmp_path


SUITE = """\
name: t
defaults:
  transform: output.trim()
cases:
  - id: parsed
    vars: {input: x, kind: json}
    transform: JSON.parse(output)
    assert:
      - type: is-json
      - type: javascript
        value: output.color === 'purple' && output.countries.includes('Brazil')
      - type: contains-any
        transform: output.countries
        value: [Guatemala, India]
      - type: equals
        transform: output.countries.length
        value: "2"
  - id: trimmed
    vars: {input: x, kind: text}
    assert:
      - type: equals
        value: plain text
      - type: javascript
        value: output === 'plain text'
  - id: broken
    vars: {input: x, kind: text}
    transform: JSON.parse(output)
    assert:
      - type: contains
        value: plain
"""


def _statuses(root: Path) -> dict[str, tuple[str, list[str]]]:
    result = api.run(root, write=False)
    return {r.case_id: (r.status, [a.status for a in r.assertions]) for r in result.results}


def test_transforms_apply_before_the_assertions(tmp_path: Path) -> None:
    got = _statuses(_project(tmp_path, SUITE))
    assert got["parsed"] == ("pass", ["pass"] * 4)
    assert got["trimmed"] == ("pass", ["pass", "pass"])  # defaults.transform
    assert got["broken"] == ("error", ["error"])  # a transform that throws: an error


def test_the_journal_keeps_the_model_output(tmp_path: Path) -> None:
    result = api.run(_project(tmp_path, SUITE), write=False)
    trimmed = next(r for r in result.results if r.case_id == "trimmed")
    assert trimmed.output == "  plain text  "
    broken = next(r for r in result.results if r.case_id == "broken")
    assert "transform failed" in broken.assertions[0].reason


def test_a_failing_transformed_check_fails(tmp_path: Path) -> None:
    suite = SUITE.replace("value: [Guatemala, India]", "value: [Guatemala]")
    got = _statuses(_project(tmp_path, suite))
    assert got["parsed"] == ("fail", ["pass", "pass", "fail", "pass"])


def test_bad_transforms_are_validate_errors_with_their_line(tmp_path: Path) -> None:
    suite = (
        "name: t\n"
        "cases:\n"
        "  - id: a\n"
        "    vars: {input: x, kind: text}\n"
        "    transform: 'output.('\n"
        "    assert:\n"
        "      - type: contains\n"
        "        value: x\n"
        "        transform: file://t.js\n"
    )
    with pytest.raises(ConfigErrors) as e:
        load_project(_project(tmp_path, suite))
    shown = [str(x) for x in e.value.errors]
    assert any(s.startswith("suites/t.yaml:5:") and "SyntaxError" in s for s in shown)
    assert any(s.startswith("suites/t.yaml:9:") and "file://" in s for s in shown)


def test_without_the_extra_validate_names_it(tmp_path: Path, monkeypatch) -> None:
    from llmeval.metrics.transform import compile_transform

    compile_transform.cache_clear()
    monkeypatch.setitem(sys.modules, "py_mini_racer", None)  # not installed
    root = _project(tmp_path, SUITE.replace("output.trim()", "output.trimEnd()"))
    with pytest.raises(ConfigErrors) as e:
        load_project(root)
    assert any("llmeval[js]" in str(x) and "suites/t.yaml:3:" in str(x) for x in e.value.errors)
    compile_transform.cache_clear()
