"""The report's Python side, without a browser: embedding, CSP, truncation, writing."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from html_report_data import meta, mixed_run, result, verdict_of
from hypothesis import given
from hypothesis import strategies as st

from llmeval.report import html_payload
from llmeval.report.html import (
    content_security_policy,
    csp_hash,
    embed_json,
    render_html,
    visible,
    write_report,
)


def _data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
    assert m, "data block missing"
    return json.loads(m.group(1))


@pytest.mark.parametrize(
    "value",
    ["</script><script>alert(1)</script>", "<!-- <script>", "a\u2028b\u2029c", "&amp; <>", "]]>"],
)
def test_embed_json_cannot_break_out_and_round_trips(value: str) -> None:
    text = embed_json({"v": value})
    assert not re.search(r"[<>&\u2028\u2029]", text)
    assert json.loads(text) == {"v": value}


@given(st.text())
def test_embed_json_round_trips_any_text(value: str) -> None:
    text = embed_json([value])
    assert "<" not in text and ">" not in text
    assert json.loads(text) == [value]


def test_embed_json_maps_non_finite_numbers_to_null() -> None:
    assert json.loads(embed_json({"a": math.nan, "b": [math.inf, 1.5]})) == {
        "a": None,
        "b": [None, 1.5],
    }


def test_csp_hashes_match_the_inline_script_and_style() -> None:
    results, m, comp = mixed_run()
    html = render_html(results, m, comp, verdict=verdict_of(comp["gate"]))
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    scripts = re.findall(r"<script>(.*?)</script>", html, re.S)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(scripts) == 1 and len(styles) == 1
    assert f"script-src {csp_hash(scripts[0])};" in csp
    assert f"style-src {csp_hash(styles[0])};" in csp
    for directive in (
        "default-src 'none'",
        "connect-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "img-src data:",
    ):
        assert directive in csp
    assert "unsafe" not in csp
    assert content_security_policy("x", "y") != content_security_policy("x2", "y")


def test_only_our_script_executes_and_no_external_reference() -> None:
    results, m, comp = mixed_run()
    html = render_html(results, m, comp, verdict=verdict_of(comp["gate"]))
    assert len(re.findall(r"<script\b", html)) == 2  # our code and the JSON data block
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "url(" not in html


def test_hostile_strings_never_appear_raw() -> None:
    payload = "</script><script>window.__pwned=1</script><img src=x onerror=alert(1)>"
    r = result(payload, suite=payload, model=payload, output=payload, tags=(payload,))
    html = render_html(
        [r], meta(run_id=payload), verdict=verdict_of({"passed": False, "reasons": [payload]})
    )
    assert "<img src=x" not in html and "window.__pwned=1</script>" not in html
    assert _data(html)["rows"][0]["o"] == payload


def test_visible_marks_invisible_characters_and_escapes() -> None:
    out = str(visible("a\u202eb\u200b<c>"))
    assert "⟨U+202E⟩" in out and "⟨U+200B⟩" in out
    assert "\u202e" not in out and "<c>" not in out and "&lt;c&gt;" in out


def test_rows_lead_with_what_needs_attention() -> None:
    results, m, comp = mixed_run()
    rows = _data(render_html(results, m, comp, verdict=verdict_of(comp["gate"])))["rows"]
    assert rows[0]["ch"] == "regressed"
    assert rows[-1]["st"] == "removed"
    ranks = [html_payload.row_rank(r["st"], r.get("ch")) for r in rows[:-1]]
    assert ranks == sorted(ranks)


def test_long_output_is_embedded_up_to_the_field_cap() -> None:
    big = "x" * (html_payload.FIELD_CAP + 10)
    mid = "y" * (html_payload.PREVIEW_CHARS * 2)
    rows = _data(render_html([result("a", output=big), result("b", output=mid)], meta()))["rows"]
    by = {r["c"]: r for r in rows}
    assert by["a"]["o"] == ["x" * html_payload.FIELD_CAP, 10]
    assert by["b"]["o"] == mid


def test_budget_exhaustion_cuts_to_the_preview() -> None:
    budget = html_payload._Budget(100)
    text = "z" * (html_payload.PREVIEW_CHARS + 500)
    assert html_payload.clip(text, budget) == [text[: html_payload.PREVIEW_CHARS + 100], 400]
    assert html_payload.clip(text, budget) == [text[: html_payload.PREVIEW_CHARS], 500]
    assert html_payload.clip("short", budget) == "short"


def test_row_keys_are_unique() -> None:
    rs = [result("a"), result("a"), result("a", repeat=1)]
    assert len(set(html_payload.make_keys(rs))) == 3


@pytest.mark.parametrize(
    ("gate", "expected"),
    [
        (None, "No gate evaluated"),
        ({"passed": True, "reasons": []}, "Gate passed"),
        ({"passed": False, "reasons": ["pass rate 0.5 < min 0.9"]}, "Gate failed"),
    ],
)
def test_verdict_without_baseline(gate: dict | None, expected: str) -> None:
    html = render_html(
        [result(), result("b", status="fail", score=0.0)], meta(), verdict=verdict_of(gate)
    )
    assert expected in html
    if gate and gate["reasons"]:
        assert "pass rate 0.5 &lt; min 0.9" in html


def test_renders_with_minimal_inputs() -> None:
    html = render_html([], {})
    assert "<!doctype html>" in html and _data(html)["rows"] == []


def test_summary_from_manifest_wins_over_computed() -> None:
    summary = {
        "totals": {"pass_rate": 0.5, "pass_rate_ci": [0.25, 0.75], "cost_usd": 12.5},
        "groups": [
            {
                "suite": "s",
                "model": "m",
                "prompt": "p@v1",
                "n": 4,
                "pass_rate": 0.5,
                "pass_rate_ci": [0.1, 0.9],
                "mean_score": 0.6,
            }
        ],
        "corpus": {
            "s": {"accuracy": 0.75, "labels": ["a", "b"], "confusion_matrix": [[1, 0], [1, 2]]}
        },
    }
    html = render_html([result()], meta(summary=summary))
    assert "50.0%" in html and "95% CI 25.0% – 75.0%" in html and "$12.50" in html
    assert "heat-5" in html and "Confusion matrix" in html and "0.750" in html


def test_write_report_is_atomic(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "latest.html"
    write_report(target, "<p>one</p>")
    write_report(target, "<p>two \ud800</p>")  # a lone surrogate must not crash the write
    assert target.read_text(encoding="utf-8").startswith("<p>two")
    assert [p.name for p in target.parent.iterdir()] == ["latest.html"]


@pytest.mark.parametrize(
    "odd_meta",
    [
        {"models": ["not", "a", "mapping"], "prompts": None, "summary": None},
        {"run_id": 7, "started_at": 1732680000, "models": {"m": None}, "summary": {"groups": []}},
        {"summary": {"totals": {"pass_rate_ci": None}, "corpus": {"s": "not a mapping"}}},
    ],
)
def test_odd_manifests_still_render(odd_meta: dict) -> None:
    html = render_html([result()], odd_meta)
    assert "Pass rate" in html and len(_data(html)["rows"]) == 1


def test_sparse_comparison_renders() -> None:
    r = result("a", status="fail", score=0.0)
    comp = {"cases": [{"suite": r.suite, "case_id": "a", "model": r.model, "prompt": r.prompt,
                       "change": "regressed"}]}  # fmt: skip
    html = render_html([r], meta(), comp)
    assert "Regressions" in html and "No gate evaluated" in html
    assert _data(html)["rows"][0]["ch"] == "regressed"


def test_header_lists_models_and_prompts() -> None:
    html = render_html([result()], meta())
    assert "gpt-4o-mini-2024-07-18" in html and "0123456789ab" in html
