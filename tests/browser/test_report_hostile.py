"""A corpus of hostile strings in every field of a report: nothing runs, nothing loads,
and every payload is shown as text a reviewer can read."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from html_report_data import case_change, comparison, meta, result, verdict_of

from llmeval.domain.record import AssertionResult, ErrorInfo
from llmeval.report.html import INVISIBLE, marker, render_html

pytestmark = pytest.mark.browser

PWN = "window.__pwned=1"
PAYLOADS = [
    f"<script>{PWN}</script>",
    f"</script><script>{PWN}</script>",
    f'<img src=x onerror="{PWN};alert(1)">',
    f"<svg onload={PWN}>",
    f'"><iframe src="javascript:{PWN}"></iframe>',
    f"'><body onload={PWN}>",
    f"javascript:{PWN}",
    f"[click me](javascript:{PWN})",
    "![pixel](https://tracker.invalid/p.png)",
    '<a href="https://evil.invalid/">login</a>',
    "<style>@import url(https://evil.invalid/x.css);</style>",
    '<link rel=stylesheet href="https://evil.invalid/x.css">',
    '<meta http-equiv="refresh" content="0;url=https://evil.invalid/">',
    '<base href="https://evil.invalid/">',
    f"<math><mtext><table><mglyph><style><img src=x onerror={PWN}>",
    f'<object data="javascript:{PWN}"></object>',
    "{{7*7}} ${7*7} {% raw %} #{7*7} <%= 7*7 %>",
    "<!-- ]]> \u2028 \u2029 &amp; &lt;",
    "admin\u202egnp.exe",
    "pay\u200bpal\u200d\ufeff\u2066x\u2069",
    "**bold** _it_ # heading\n> quote",
]
HOSTILE = "\n".join(PAYLOADS)


def shown(text: str) -> str:
    """How the report displays a string: invisible characters as ⟨U+XXXX⟩ markers."""
    return INVISIBLE.sub(lambda m: marker(m.group()), text)


def squash(text: str) -> str:
    """HTML collapses whitespace outside pre-wrap blocks; compare modulo that."""
    return " ".join(text.split())


def tagged(field: str) -> str:
    return f"[{field}] {HOSTILE}"


def hostile_report() -> tuple[str, str]:
    r = result(
        tagged("case"),
        suite=tagged("suite"),
        model=tagged("model"),
        prompt=tagged("prompt"),
        status="error",
        score=0.0,
        output=tagged("output"),
        expected=tagged("expected"),
        vars={"question": tagged("vars")},
        tags=(tagged("tag"),),
        messages=({"role": "user", "content": tagged("message")},),
        assertions=(
            AssertionResult("icontains", "fail", 0.0, tagged("reason")),
            AssertionResult(
                "llm-rubric", "fail", 0.1, tagged("judge"), details={"note": tagged("details")}
            ),
        ),
        error=ErrorInfo(tagged("errkind"), tagged("error")),
        model_id=tagged("model_id"),
    )
    change = case_change(r, "regressed", tagged("baseline"), critical=True)
    comp = comparison(
        [change],
        changes=[tagged("change")],
        base={"run_id": tagged("base_run"), "label": tagged("base_label")},
    )
    m = meta(
        run_id=tagged("run"),
        git_sha=HOSTILE,
        llmeval_version=HOSTILE,
        models={tagged("model"): {"provider": HOSTILE, "model": HOSTILE}},
    )
    html = render_html(
        [r], m, comp, verdict=verdict_of({"passed": False, "reasons": [tagged("gate")]})
    )
    return html, "/".join([r.suite, r.case_id, r.model, r.prompt, "0"])


@pytest.fixture(scope="module")
def report() -> tuple[str, str]:
    return hostile_report()


def _assert_inert(rep) -> None:
    assert rep.dialogs == []
    assert rep.page.evaluate("window.__pwned") is None
    assert rep.foreign_requests == []
    assert rep.page_errors == []
    # Nothing from the data became an element: no frames, images, objects, or links
    # other than our own fragment links.
    assert (
        rep.page.evaluate(
            """() => document.querySelectorAll('iframe,img,object,embed,base,link:not([rel=icon]),'
                + 'meta[http-equiv=refresh],math,body [onload],[onerror]').length"""
        )
        == 0
    )
    links = rep.page.eval_on_selector_all(
        "a[href]", "as => as.map(a => [a.getAttribute('href'), a.rel, a.target])"
    )
    for href, rel, target in links:  # our fragment links, or http(s) opened safely
        assert href.startswith("#") or (
            re.match(r"https?://", href) and rel == "noopener noreferrer" and target == "_blank"
        ), href


def test_the_page_and_the_summary_show_payloads_as_text(open_report, report) -> None:
    html, _ = report
    rep = open_report(html)
    _assert_inert(rep)
    assert rep.console_errors == []
    body = squash(rep.visible_text("body"))
    for field in (
        "run",
        "gate",
        "change",
        "base_label",
        "base_run",
        "case",
        "suite",
        "model",
        "prompt",
    ):
        assert squash(shown(tagged(field))) in body, field


def test_the_case_detail_shows_every_field_as_text(open_report, report) -> None:
    html, key = report
    rep = open_report(html, fragment="#case=" + quote(key, safe=""))
    page = rep.page
    assert page.is_visible("#detail")
    seen = []
    for mode in ("Diff vs baseline", "Diff vs expected", "Output only"):
        page.click(f"#detail .modes button:has-text('{mode}')")
        page.eval_on_selector_all("#detail details", "ds => ds.forEach(d => { d.open = true; })")
        seen.append(rep.visible_text("#detail"))
    text = "\n".join(seen)
    for field in ("case", "suite", "model", "prompt", "tag", "errkind", "model_id"):
        assert squash(shown(tagged(field))) in squash(text), field
    # free text keeps its line breaks exactly
    for field in ("output", "expected", "message", "reason", "judge", "error", "baseline"):
        assert shown(tagged(field)) in text, field
    # vars and details are shown as JSON, so quotes and newlines appear escaped
    for field in ("vars", "details"):
        assert shown(json.dumps(tagged(field), ensure_ascii=False)[1:-1]) in text, field
    assert "\u202e" not in text and "\u200b" not in text
    assert "⟨U+202E⟩" in text and "⟨U+200B⟩" in text and "{{7*7}}" in text
    assert not re.search(r"(?<![{*])\b49\b", text)  # no template was evaluated
    _assert_inert(rep)
    assert rep.console_errors == []


def test_filters_and_search_with_hostile_values_stay_inert(open_report, report) -> None:
    html, _ = report
    rep = open_report(html)
    page = rep.page
    page.fill("#f-q", "<script>")
    rep.wait_until("document.querySelectorAll('#case-rows td.cid').length === 1")
    page.select_option("#f-suite", index=1)
    page.select_option("#f-tag", index=1)
    assert page.locator("#case-rows td.cid").count() == 1
    # a hostile id (bidi overrides, long payloads) can wrap the link across lines, where
    # the centre of its bounding box is not on the link: click its first glyphs instead
    page.click("#case-rows td.cid a", position={"x": 3, "y": 3})
    rep.wait_until("!document.getElementById('detail').hidden")
    _assert_inert(rep)
