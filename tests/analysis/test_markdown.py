from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt

from llmeval.analysis.diff import compare
from llmeval.analysis.gate import Policies, Reason, Verdict, verdict
from llmeval.analysis.summarize import GroupSummary, RunSummary
from llmeval.domain.project import GatePolicy
from llmeval.report.markdown import ZWSP, escape_md, render_markdown


def decide(comparison, groups, policy, _suites):
    return verdict([], RunSummary(tuple(groups)), Policies(policy), comparison=comparison)


HOSTILE = [
    "@octocat please look",
    "@org/team ping",
    "fixes #123 and GH-45",
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<!-- hidden --> <details open><summary>x</summary>",
    "[click me](https://evil.example/phish)",
    "![tracker](https://evil.example/pixel.png)",
    "visit https://evil.example or www.evil.example",
    "```\ncode fence\n```",
    "`inline` **bold** _em_ ~~strike~~",
    "| a | b |\n|---|---|\n| c | d |",
    "\n# Heading\n> quote\n- item",
    "math $x^2$ and $$y$$",
    "&lt;script&gt; entity &amp;",
    "back\\slash \\| pipe",
    "bidi \u202eevil\u202c and nul \x00 and esc \x1b[31m",
    "<https://autolink.example>",
    "[ref]: https://evil.example",
]


def _html(md: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(md)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_plain_text(text):
    esc = escape_md(text, 1000)
    assert "\n" not in esc
    html = _html(f"- {esc}")
    inner = re.sub(r"^<ul>\n<li>|</li>\n</ul>\n$", "", html)
    assert "<" not in inner.replace("&lt;", "")  # no element at all inside the item
    for bad in ("<script", "<img", "<a ", "<code", "<em", "<strong", "<del", "<h1"):
        assert bad not in html
    assert not re.search(r"(?<![A-Za-z0-9])@[A-Za-z0-9]", html)  # no mention can fire
    assert not re.search(r"#[0-9]", html)  # no issue reference
    assert not re.search(r"(?i)gh-[0-9]", html)
    assert "://" not in html and "www." not in html  # no autolinked URL
    assert "\u202e" not in esc and "\x00" not in esc and "\x1b" not in esc


def test_escaped_text_keeps_its_readable_content():
    html = _html(escape_md("a < b && c > d | e [x] @bob #7"))
    text = html.replace(ZWSP, "")
    assert "a &lt; b &amp;&amp; c &gt; d | e [x] @bob #7" in text


def test_prompt_refs_and_emails_are_not_mentions_and_stay_readable():
    assert escape_md("support@v2 help@shop.example") == "support@v2 help@shop.example"
    assert escape_md("ping @bob") == "ping @" + ZWSP + "bob"


def test_escape_limits_length():
    assert len(escape_md("x" * 1000, 50)) == 51  # 50 chars and an ellipsis


def _big(mk, n=50_000):
    out = "<img src=x> @everyone #1 " + "y" * 400
    base = [mk(f"case-{i}", "pass" if i % 4 else "fail", run_id="b", output=out) for i in range(n)]
    cand = [mk(f"case-{i}", "fail" if i % 2 else "pass", run_id="c", output=out) for i in range(n)]
    cand += [mk(f"fresh-{i}", "fail", run_id="c", output=out) for i in range(n // 5)]
    return base, cand


def test_a_50k_case_comparison_stays_under_one_mebibyte(mk):
    base, cand = _big(mk)
    cmp = compare(base, cand, {"run_id": "b"}, {"run_id": "c"}, n_resamples=1000)
    groups = [GroupSummary("s", "m", "p@v1", len(cand), 35_000, 25_000, pass_rate=35 / 60)]
    gate = decide(cmp, groups, GatePolicy(), {})
    md = render_markdown(cmp, groups, gate)
    size = len(md.encode("utf-8"))
    assert 900_000 < size <= 1_000_000  # the budget is used, and kept
    # order: verdict, reasons, regressions, new failures, totals
    pos = [
        md.index(h) for h in ("gate failed", "### Regressions", "### New failures", "### Totals")
    ]
    assert pos == sorted(pos)
    assert re.search(r"… and \d+ more", md)
    assert "<img" not in md and "@everyone" not in md
    assert md.count("\n| s/case-") > 1000


@pytest.mark.parametrize("limit", [65_536, 4_000, 300])
def test_smaller_limits_hold_too(mk, limit):
    base, cand = _big(mk, 2_000)
    cmp = compare(base, cand, {"run_id": "b"}, {"run_id": "c"}, n_resamples=200)
    md = render_markdown(
        cmp,
        [GroupSummary("s", "m", "p", 10, 5, 5, pass_rate=0.5)],
        decide(cmp, [], GatePolicy(), {}),
        max_bytes=limit,
    )
    assert len(md.encode("utf-8")) <= limit


def test_critical_regressions_come_first_and_flaky_are_listed(mk):
    base = [mk("a", "pass"), mk("b", "pass"), *(mk("w", "pass", repeat=r) for r in range(2))]
    cand = [mk("a", "fail"), mk("b", "fail"), mk("w", "pass", repeat=0), mk("w", "fail", repeat=1)]
    cmp = compare(
        base, cand, {"run_id": "b"}, {"run_id": "c", "suites": {"s": {"critical": ["b"]}}}
    )
    gate = decide(cmp, [], GatePolicy(), {})
    md = render_markdown(cmp, [], gate)
    assert "critical case s/b" in md.replace("\\", "")
    regress = md.split("### Regressions (2)")[1].split("###")[0]
    assert regress.index("**critical** s/b") < regress.index("| s/a")
    assert "### Flaky, not gating (1)" in md
    assert md.startswith("## llmeval: ❌ gate failed")


def test_without_a_baseline_lists_failures(mk):
    results = [mk("a", "pass"), mk("b", "fail", output="@admin <b>hi</b>")]
    groups = [GroupSummary("s", "m", "p@v1", 2, 1, 1, pass_rate=0.5)]
    gate = decide(None, groups, GatePolicy(), {})
    md = render_markdown(None, groups, gate, results=results)
    assert "### Failures (1)" in md and "| s/b |" in md and "| s/a |" not in md
    assert "below min\\_pass\\_rate" in md
    assert "50.0%" in md.split("### Totals")[1]
    assert "<b>" not in md


def test_accepts_the_json_forms_and_the_run_summary(mk):
    base = [mk("a", "pass"), mk("b", "pass")]
    cand = [mk("a", "fail", output="@x"), mk("b", "pass")]
    cmp = compare(base, cand, {"run_id": "b"}, {"run_id": "c"})
    summary = {
        "groups": [{"suite": "s", "model": "m", "prompt": "p@v1", "n": 2, "passed": 1, "failed": 1}]
    }
    from_obj = render_markdown(cmp, summary, decide(cmp, [], GatePolicy(), {}))
    from_json = render_markdown(cmp.to_json(), summary, decide(cmp, [], GatePolicy(), {}))
    assert "### Regressions (1)" in from_json and "| s/a |" in from_json
    assert from_json.replace("✅ gate passed", "?") == from_obj.replace("✅ gate passed", "?")


def test_failures_from_summary_groups_without_results():
    summary = {
        "groups": [
            {
                "suite": "s",
                "model": "m",
                "prompt": "p",
                "n": 3,
                "passed": 1,
                "failed": 1,
                "errors": 1,
                "failed_cases": ["bad-<b>"],
                "error_cases": ["boom"],
            }
        ]
    }
    md = render_markdown(None, summary, Verdict("failed", 1, (Reason("min_pass_rate", "x"),)))
    assert "### Failures (2)" in md and "s/bad-&lt;b&gt;" in md and "| s/boom |" in md


def test_new_failures_include_new_cases_and_new_errors_only(mk):
    base = [mk("stays-bad", "fail"), mk("now-error", "pass"), mk("was-skipped", "skipped")]
    cand = [
        mk("stays-bad", "fail"),
        mk("now-error", "error"),
        mk("was-skipped", "fail"),
        mk("brand-new", "fail"),
    ]
    cmp = compare(base, cand, {"run_id": "b"}, {"run_id": "c"})
    md = render_markdown(cmp, [], decide(cmp, [], GatePolicy(), {}))
    section = md.split("### New failures (3)")[1]
    for case in ("now-error", "was-skipped", "brand-new"):
        assert f"| s/{case} |" in section
    assert "stays-bad" not in md


def test_derived_metrics_are_shown_per_group():
    groups = [
        GroupSummary("s", "m", "p@v1", 4, 3, 1, pass_rate=0.75,
                     derived={"f1_score": 0.857142, "recall": None}),
        GroupSummary("s", "m", "p@v2", 4, 4, 0, pass_rate=1.0, derived={"<b>x</b>": 2.0}),
        GroupSummary("t", "m", "p@v1", 1, 1, 0, pass_rate=1.0),
    ]  # fmt: skip
    md = render_markdown(None, groups, None)
    section = md.split("### Derived metrics", 1)[1]
    assert "| s | m | p@v1 | f1\\_score | 0.8571 |" in section  # as the console: .4g
    assert "| s | m | p@v1 | recall | – |" in section  # undefined (e.g. 0 / 0)
    assert "&lt;b&gt;x&lt;/b&gt;" in section and "<b>" not in _html(md)  # names escaped
    assert "| t |" not in section  # a suite without derived metrics adds no row
    assert "### Derived metrics" not in render_markdown(None, groups[2:], None)
