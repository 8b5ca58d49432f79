"""Derived metrics (promptfoo's derivedMetrics): a safe expression over named scores
summed per group, in order, with __count; checked at load with file:line."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmeval.analysis.derived import ExpressionError, compute, evaluate, parse, result_values
from llmeval.analysis.summarize import RunSummary, summarize
from llmeval.domain.record import AssertionResult, CaseResult


@pytest.mark.parametrize(
    ("text", "values", "want"),
    [
        ("precision * recall", {"precision": 0.5, "recall": 0.8}, 0.4),
        ("2 * a / (2 * a + b + c)", {"a": 3, "b": 1, "c": 1}, 0.75),
        ("a ** 2 + -b", {"a": 3, "b": 1}, 8.0),
        ("a ^ 2", {"a": 3}, 9.0),  # mathjs: ^ is a power
        ("min(a, b) + max(a, 1) + abs(-2)", {"a": 0.5, "b": 0.2}, 3.2),
        ("missing + 1", {}, 1.0),  # promptfoo: a missing metric is 0
        ("a / b", {"a": 1, "b": 0}, None),  # no Infinity: no value
        ("10 ** 400", {}, None),
        ("2 ** 5000", {}, None),
        ("(-8) ** 0.5", {}, None),  # complex
    ],
)
def test_expressions(text: str, values: dict, want: float | None) -> None:
    got = evaluate(parse(text), values)
    assert got == pytest.approx(want) if want is not None else got is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("__import__('os').system('x')", "functions"),
        ("a.real", "Attribute"),
        ("a if b else c", "IfExp"),
        ("[1, 2]", "List"),
        ("'x'", "numbers"),
        ("True + 1", "numbers"),
        ("a < b", "Compare"),
        ("a and b", "BoolOp"),
        ("a << 2", "LShift"),
        ("lambda: 1", "Lambda"),
        ("function(namedScores) { return 1 }", "JavaScript"),
        ("(s) => s.a", "JavaScript"),
        ("max(a, key=b)", "functions"),
        ("", "empty"),
        ("x" * 1001, "longer"),
        ("a +", "not an expression"),
    ],
)
def test_what_is_refused(text: str, why: str) -> None:
    with pytest.raises(ExpressionError, match=why):
        parse(text)


def test_in_order_with_count_and_earlier_names() -> None:
    per_result = [{"tp": 1, "fp": 0, "fn": 0}, {"tp": 0, "fp": 1, "fn": 0}, {"tp": 1, "fn": 1}]
    got = compute(
        [
            ("precision", "tp / (tp + fp)"),
            ("recall", "tp / (tp + fn)"),
            ("f1", "2 * precision * recall / (precision + recall)"),
            ("per_case", "tp / __count"),
            ("broken", "tp / fp_none"),
            ("uses_broken", "broken + 1"),
        ],
        per_result,
    )
    assert got["precision"] == pytest.approx(2 / 3)
    assert got["recall"] == pytest.approx(2 / 3)
    assert got["f1"] == pytest.approx(2 / 3)
    assert got["per_case"] == pytest.approx(2 / 3)
    assert got["broken"] is None and got["uses_broken"] is None


def _result(case: str, prompt: str, *scores: tuple[str, float], status: str = "pass") -> CaseResult:
    return CaseResult(
        run_id="r", suite="s", case_id=case, model="m", prompt=prompt, prompt_sha="",
        repeat=0, status=status, score=1.0, output="o",  # type: ignore[arg-type]
        assertions=tuple(
            AssertionResult(type="javascript", status="pass", score=v, metric=n, weight=0)
            for n, v in scores
        ),
    )  # fmt: skip


def test_result_values_mean_per_metric_and_named_scores() -> None:
    a = AssertionResult(type="python", status="pass", score=1.0,
                        details={"named_scores": {"x": 0.25, "bad": True}})  # fmt: skip
    b = AssertionResult(type="contains", status="pass", score=1.0, metric="tone")
    c = AssertionResult(type="equals", status="fail", score=0.0, metric="tone")
    d = AssertionResult(type="llm-rubric", status="skipped", score=None, metric="tone")
    assert result_values([a, b, c, d]) == {"x": 0.25, "tone": 0.5}


def test_summary_per_group_round_trips_and_skips_errors() -> None:
    results = [
        _result("c1", "p@v1", ("tp", 1), ("fp", 0)),
        _result("c2", "p@v1", ("tp", 0), ("fp", 1)),
        _result("c3", "p@v1", ("tp", 1), ("fp", 1), status="error"),  # not a score
        _result("c1", "q@v1", ("tp", 1), ("fp", 0)),
    ]
    summary = summarize(results, derived={"s": (("precision", "tp / (tp + fp)"),)})
    by_prompt = {g.prompt: g.derived for g in summary.groups}
    assert by_prompt == {"p@v1": {"precision": 0.5}, "q@v1": {"precision": 1.0}}
    assert RunSummary.from_json(summary.to_json()) == summary
    assert "derived" not in summarize(results).to_json()["groups"][0]


def test_suite_derived_metrics_are_checked_at_load(tmp_path: Path) -> None:
    from llmeval.config.project import load_project
    from llmeval.errors import ConfigErrors

    (tmp_path / "llmeval.yaml").write_text(
        "models: {e: {provider: echo}}\ndefaults: {models: [e]}\n"
    )
    (tmp_path / "suites").mkdir()
    suite = tmp_path / "suites" / "s.yaml"
    suite.write_text(
        "name: s\n"
        "derived_metrics:\n"
        "  - {name: ok, value: 'tp / (tp + fp)'}\n"
        "  - name: bad\n"
        "    value: __import__('os')\n"
        "  - {name: two words, value: '1'}\n"
        "cases:\n"
        "  - {id: a, vars: {input: hi}}\n"
    )
    with pytest.raises(ConfigErrors) as e:
        load_project(tmp_path)
    shown = [str(x) for x in e.value.errors]
    assert any(s.startswith("suites/s.yaml:5:") and "derived_metrics 'bad'" in s for s in shown)
    assert any(s.startswith("suites/s.yaml:6:") and "must be a word" in s for s in shown)
    suite.write_text(suite.read_text().replace("    value: __import__('os')\n", "    value: ok * 2\n")
                     .replace("  - {name: two words, value: '1'}\n", ""))  # fmt: skip
    loaded = next(iter(load_project(tmp_path).suites.values()))
    assert loaded.derived_metrics == (("ok", "tp / (tp + fp)"), ("bad", "ok * 2"))


def test_console_and_report_show_them() -> None:
    from rich.console import Console

    from llmeval.report.console import corpus_tables
    from llmeval.report.html import render_html

    results = [_result("c1", "p@v1", ("tp", 1), ("fp", 1))]
    defs = {"s": (("precision", "tp / (tp + fp)"), ("none_here", "tp / 0"))}
    summary = summarize(results, derived=defs).to_json()
    con = Console(width=200, record=True)
    for t in corpus_tables(summary):
        con.print(t)
    text = con.export_text()
    assert "s [m p@v1]: precision 0.5 · none_here –" in text
    page = render_html(results, {"summary": summary, "run_id": "r"}).replace("<wbr>", "")
    assert "<dt>precision</dt>" in page and "<dt>none_here</dt><dd>–</dd>" in page
