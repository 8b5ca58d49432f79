"""The report says why: regression rows list the failing assertions and the error,
the verdict states what the gate checked when it passes too, skipped assertions are
counted and listed."""

from __future__ import annotations

import pytest
from html_report_data import LONG_CASE, long_ids_run, meta, result, verdict_of

from llmeval.analysis.diff import compare
from llmeval.analysis.gate import Policies, verdict
from llmeval.analysis.summarize import summarize
from llmeval.domain.project import GatePolicy
from llmeval.domain.record import AssertionResult
from llmeval.report.html import render_html

pytestmark = pytest.mark.browser


def test_regression_rows_show_the_failing_assertions_and_error(open_report) -> None:
    results, m, comp = long_ids_run()
    rep = open_report(render_html(results, m, comp, verdict=verdict_of({"passed": True})))
    row = rep.page.locator("#list-regressions tbody tr").first
    assert LONG_CASE in row.inner_text()
    why = row.locator("td.why .why-line").all_inner_texts()
    assert why == [
        "icontains output does not contain '30 days'",
        'regex output does not match regex "(?i)store credit"',
        "python error scorer raised KeyError: 'crm_id'",
    ]  # the passing latency assertion is not a reason
    errored = rep.visible_text("#list-errored")
    assert "error target: KeyError: 'crm_id' in apps/support_agent.py:handle" in errored


def _run(n: int, fail: set[int], run_id: str, **kw):
    return [
        result(
            f"case-{i:02d}",
            status="fail" if i in fail else "pass",
            score=0.0 if i in fail else 1.0,
            **kw,
        )
        for i in range(n)
    ]


def test_a_passing_gate_states_what_it_compared(open_report) -> None:
    base, cand = _run(40, set(), "base"), _run(40, {7}, "cand")
    comparison = compare(base, cand, meta("run-base"), meta("run-cand"), n_resamples=200)
    summary = summarize(cand)
    policies = Policies(GatePolicy(min_effect=0.05))
    v = verdict(cand, summary, policies, comparison=comparison, baseline="main")
    assert v.status == "passed" and not v.reasons  # one regression of 40: not significant
    m = meta(summary=summary.to_json(), policies=policies.to_json())
    rep = open_report(render_html(cand, m, comparison.to_json(), verdict=v))
    assert rep.visible_text("#verdict-title") == "Gate passed"
    notes = rep.page.locator("#verdict ul.notes li").all_inner_texts()
    assert notes == list(v.notes) and any("p_adj=" in n and "n=40" in n for n in notes)
    checks = rep.visible_text("#verdict .checks")
    for text in ("100.0% → 97.5%", "n=40", "97.5% (39/40)", "alpha 0.05", "min_effect 5.0 points"):
        assert text in checks, (text, checks)
    assert "p" in checks and "adj" in checks


def test_a_passing_gate_without_baseline_states_the_floors(open_report) -> None:
    cand = _run(10, {3}, "cand")
    policies = Policies(GatePolicy(), {"support-faq": GatePolicy(min_pass_rate=0.8)})
    summary = summarize(cand, min_pass_rates={"support-faq": 0.8})
    v = verdict(cand, summary, policies)
    assert v.status == "passed"
    m = meta(summary=summary.to_json(), policies=policies.to_json())
    rep = open_report(render_html(cand, m, verdict=v))
    row = rep.page.locator("#verdict .checks tbody tr").first
    assert row.locator("[data-label='Pass rate']").inner_text() == "90.0% (9/10)"
    assert row.locator("[data-label='Must reach']").inner_text() == "80.0%"


def test_skipped_assertions_are_counted_and_listed(open_report) -> None:
    skipped = AssertionResult(
        "llm-rubric", "skipped", None, "no judge model: set defaults.judge", kind="unavailable"
    )
    rows = [
        result("judged-a", assertions=(AssertionResult("icontains", "pass", 1.0), skipped)),
        result("judged-b", assertions=(skipped,), status="skipped", score=None),
        result("plain"),
    ]
    rep = open_report(render_html(rows, meta(), verdict=verdict_of({"passed": True})))
    assert rep.page.locator("#skipped-card .value").inner_text() == "2"
    assert "2 assertions not scored" in rep.visible_text("header #skipped-fact")
    listed = rep.page.locator("#list-skipped tbody tr")
    assert listed.count() == 1  # one reason, one row naming both cases
    cells = {
        k: listed.locator(f"[data-label^='{k}']").inner_text()
        for k in ("Assertion", "Kind", "Reason", "Cases")
    }
    assert cells == {
        "Assertion": "llm-rubric",
        "Kind": "unavailable",
        "Reason": "no judge model: set defaults.judge",
        "Cases": "judged-a, judged-b",
    }
    listed.locator("a", has_text="judged-b").click()
    rep.wait_until("document.getElementById('detail-title').textContent === 'judged-b'")
