"""javascript (promptfoo's return shapes, sandbox, limits) and assert-set (promptfoo's
group score and verdict)."""

from __future__ import annotations

import sys

import pytest
from metric_harness import check

from llmeval.errors import ConfigError


@pytest.mark.parametrize(
    ("code", "output", "kw", "passed", "score"),
    [
        ("output.includes('Paris')", "The capital is Paris", {}, True, 1.0),
        ("output.includes('Paris')", "The capital is Rome", {}, False, 0.0),
        ("output.length / 10", "abc", {}, True, 0.3),  # number: pass if > 0
        ("output.length / 10", "abc", {"threshold": 0.5}, False, 0.3),
        ("0", "abc", {}, False, 0.0),
        (
            "const n = output.length;\nreturn {pass: n > 2, score: n / 10, reason: 'len ' + n};",
            "abc",
            {},
            True,
            0.3,
        ),
        ("({pass: true, score: 0.4, reason: 'ok'})", "x", {"threshold": 0.5}, False, 0.4),
        ("JSON.parse(output).answer === 42", '{"answer": 42}', {}, True, 1.0),
        ("output.length < 9;", "abc", {}, True, 1.0),  # a trailing semicolon, as promptfoo
        ("not-output.includes('x')", "abc", {}, True, 1.0),
    ],
)
def test_promptfoo_return_shapes(
    code: str, output: str, kw: dict, passed: bool, score: float
) -> None:
    type_ = "javascript"
    if code.startswith("not-"):
        type_, code = "not-javascript", code[4:]
        score = 1 - 0.0  # output has no 'x': false, inverted
    r = check(type_, output, code, **kw)
    assert r.passed is passed and r.score == pytest.approx(score), r.reason


def test_context_vars_and_output_are_data_not_code() -> None:
    r = check("javascript", "');throw 1;('", "context.vars.city === 'Paris' && output.length > 3")
    assert r.passed is False
    from metric_harness import spec  # noqa: F401  (harness builds the Case without vars)


def test_sandbox_has_no_require_fetch_or_process() -> None:
    code = "typeof require + typeof fetch + typeof process + typeof XMLHttpRequest"
    r = check("javascript", "x", f"{code} === 'undefinedundefinedundefinedundefined'")
    assert r.passed is True


def test_time_and_memory_limits_are_errors_not_passes() -> None:
    r = check("javascript", "x", "while (true) {}\nreturn true;", options={"timeout_ms": 100})
    assert r.status == "error"
    hog = "let a = [];\nwhile (true) a.push(new Array(1e6).fill(1));\nreturn true;"
    r = check("javascript", "x", hog, options={"max_memory_mb": 16, "timeout_ms": 5000})
    assert r.status == "error"


def test_bad_code_and_return_values() -> None:
    with pytest.raises(ConfigError, match="SyntaxError"):
        check("javascript", "x", "output.(")
    r = check("javascript", "x", "'a string'")
    assert r.passed is None and "must return a boolean" in r.reason


def test_without_the_extra_validate_says_how_to_get_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "py_mini_racer", None)
    with pytest.raises(ConfigError, match=r"pip install 'llmeval\[js\]'"):
        check("javascript", "x", "true")


# --- assert-set -----------------------------------------------------------------------


def test_set_passes_when_every_child_passes() -> None:
    kids = [{"type": "contains", "value": "refund"}, {"type": "icontains", "value": "DAYS"}]
    r = check("assert-set", "A refund within 30 days.", options={"assert": kids})
    assert r.passed is True and r.score == 1.0
    r = check("assert-set", "A refund.", options={"assert": kids})
    assert r.passed is False and r.score == 0.5 and "failed: icontains" in r.reason


def test_set_threshold_is_on_the_weighted_mean() -> None:
    kids = [{"type": "contains", "value": "a", "weight": 3}, {"type": "contains", "value": "z"}]
    r = check("assert-set", "a", threshold=0.7, options={"assert": kids})
    assert r.passed is True and r.score == 0.75
    r = check("assert-set", "a", threshold=0.8, options={"assert": kids})
    assert r.passed is False
    r = check("not-assert-set", "a", threshold=0.8, options={"assert": kids})
    assert r.passed is True


def test_set_children_are_validated_at_plan_time() -> None:
    with pytest.raises(ConfigError, match="unknown assertion type 'contians'"):
        check("assert-set", "x", options={"assert": [{"type": "contians", "value": "a"}]})
    with pytest.raises(ConfigError, match="non-empty 'assert'"):
        check("assert-set", "x", options={"assert": []})
    with pytest.raises(ConfigError, match="another assert-set"):
        check("assert-set", "x", options={"assert": [{"type": "assert-set", "assert": []}]})
