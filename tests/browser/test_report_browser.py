"""The report in a real headless Chromium: loads clean, filters, deep links, diffs."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from html_report_data import meta, mixed_run, result, verdict_of

from llmeval.report.html import render_html

pytestmark = pytest.mark.browser

REGRESSED_KEY = "support-faq/refund-window/gpt-mini/support@v2/0"


def _rows(rep) -> list[str]:
    return rep.page.locator("#case-rows tr:not(.empty-row) td.cid").all_inner_texts()


@pytest.fixture
def mixed(open_report):
    results, m, comp = mixed_run()
    return open_report(render_html(results, m, comp, verdict=verdict_of(comp["gate"])))


def test_loads_with_no_errors_no_requests_and_verdict_first(mixed) -> None:
    assert mixed.console_errors == [] and mixed.page_errors == []
    assert mixed.foreign_requests == []
    assert mixed.requests == [mixed.url]
    order = mixed.page.evaluate(
        """() => ['#verdict', '#summary', '#list-regressions', '#matrix', '#cases']
              .map(s => document.querySelector(s).getBoundingClientRect().top)"""
    )
    assert order == sorted(order)
    assert mixed.visible_text("#verdict-title") == "Gate failed"
    assert "1 critical case regressed" in mixed.visible_text("#verdict")
    assert "refund-window" in mixed.visible_text("#list-regressions")
    assert len(_rows(mixed)) == 9  # 8 results and the case only the baseline has
    assert _rows(mixed)[0] == "refund-window"  # regressions lead the list too


def test_status_filter_and_search(mixed) -> None:
    page = mixed.page
    for st in ("pass", "error", "skipped", "removed"):
        page.uncheck(f"#f-status input[value={st}]")
    assert sorted(_rows(mixed)) == ["flaky-one", "refund-window"]
    page.check("#f-status input[value=pass]")
    page.fill("#f-q", "14 DAYS")
    mixed.wait_until("document.querySelectorAll('#case-rows td.cid').length === 1")
    assert _rows(mixed) == ["refund-window"]
    page.fill("#f-q", "no such text anywhere")
    page.wait_for_selector("#case-rows tr.empty-row")
    assert "0 of 9" in mixed.visible_text("#case-count")
    page.click("#f-reset")
    mixed.wait_until("document.querySelectorAll('#case-rows td.cid').length === 9")


@pytest.mark.parametrize(
    ("select", "value", "expected"),
    [
        ("#f-suite", "classify", ["label-1", "label-2"]),
        ("#f-model", "local-llama", ["greeting"]),
        ("#f-tag", "shipping", ["shipping-time"]),
        ("#f-change", "regressed", ["refund-window"]),
        ("#f-change", "removed", ["old-case"]),
    ],
)
def test_select_filters(mixed, select: str, value: str, expected: list[str]) -> None:
    mixed.page.select_option(select, value)
    assert sorted(_rows(mixed)) == expected


def test_changed_vs_baseline_filter_and_sort(mixed) -> None:
    page = mixed.page
    page.select_option("#f-change", "changed")
    assert "shipping-time" not in _rows(mixed) and len(_rows(mixed)) == 7
    page.select_option("#f-change", "")
    page.select_option("#f-sort", "score-asc")
    scores = page.locator("#case-rows tr td.num:nth-child(7)").all_inner_texts()
    numeric = [float(s.split()[0]) for s in scores if s[0].isdigit()]
    assert numeric == sorted(numeric) and numeric[0] == 0.0


def test_deep_link_opens_the_case(open_report) -> None:
    results, m, comp = mixed_run()
    rep = open_report(
        render_html(results, m, comp, verdict=verdict_of(comp["gate"])),
        fragment="#case=" + quote(REGRESSED_KEY),
    )
    assert rep.page.is_visible("#detail")
    assert rep.visible_text("#detail-title") == "refund-window"
    detail = rep.visible_text("#detail")
    for text in (
        "support@v2",
        "The judge says: window is wrong",
        "Judge reasoning",
        "Question: How long do I have to return an item?",
        "gpt-4o-mini-2024-07-18",
    ):
        assert text.lower() in detail.lower()  # labels are uppercased by CSS
    rep.page.keyboard.press("Escape")
    assert not rep.page.is_visible("#detail")


def test_clicking_a_row_and_a_list_link_open_cases(mixed) -> None:
    page = mixed.page
    page.click("#case-rows tr:has-text('greeting') td.out")
    page.wait_for_selector("#detail:not([hidden])")
    assert mixed.visible_text("#detail-title") == "greeting"
    assert "greeting" in page.evaluate("decodeURIComponent(location.hash)")
    page.click("#detail-close")
    page.click("#list-regressions a:has-text('refund-window')")
    mixed.wait_until("document.getElementById('detail-title').textContent === 'refund-window'")


def test_diff_view_marks_deleted_and_inserted_words(open_report) -> None:
    results, m, comp = mixed_run()
    rep = open_report(
        render_html(results, m, comp, verdict=verdict_of(comp["gate"])),
        fragment="#case=" + quote(REGRESSED_KEY),
    )
    page = rep.page
    assert page.locator("#detail del").all_inner_texts() == ["30"]
    assert page.locator("#detail ins").all_inner_texts() == ["14"]
    page.click("#detail .modes button:has-text('Diff vs expected')")
    assert page.locator("#detail ins").all_inner_texts() == ["14"]
    page.click("#detail .modes button:has-text('Output only')")
    assert page.locator("#detail ins").count() == 0


def test_long_output_shows_a_preview_until_expanded(open_report) -> None:
    long = "word " * 3000  # 15,000 chars, over the 4,096-char preview
    rep = open_report(
        render_html([result("long", output=long)], meta()),
        fragment="#case=" + quote("support-faq/long/gpt-mini/support@v2/0"),
    )
    page = rep.page
    page.click("#detail .modes button:has-text('Output only')")
    first = page.locator("#detail .outputs .text").first
    assert len(first.inner_text()) == 4096
    page.click("#detail .outputs button:has-text('Show full text')")
    assert len(first.inner_text().rstrip()) == len(long.rstrip())


def test_matrix_cell_links_filter_the_case_list(mixed) -> None:
    mixed.page.click("#matrix td.cell a >> nth=0")
    mixed.wait_until("document.getElementById('f-suite').value === 'classify'")
    assert sorted(_rows(mixed)) == ["label-1", "label-2"]


def test_only_http_links_become_links(open_report) -> None:
    out = "see https://example.com/docs?a=1. and javascript:alert(1) or data:text/html,x"
    rep = open_report(
        render_html([result("links", output=out)], meta()),
        fragment="#case=" + quote("support-faq/links/gpt-mini/support@v2/0"),
    )
    rep.page.click("#detail .modes button:has-text('Output only')")
    links = rep.page.eval_on_selector_all(
        "#detail a.ext", "as => as.map(a => [a.href, a.rel, a.target, a.textContent])"
    )
    assert links and all(
        x
        == [
            "https://example.com/docs?a=1",
            "noopener noreferrer",
            "_blank",
            "https://example.com/docs?a=1",
        ]
        for x in links
    )
    assert rep.page.locator("a[href^='javascript:'], a[href^='data:']").count() == 0
    assert "javascript:alert(1)" in rep.visible_text("#detail")


def test_report_without_baseline(open_report) -> None:
    results, _, _ = mixed_run()
    rep = open_report(
        render_html(results, meta(), verdict=verdict_of({"passed": False, "reasons": ["x < y"]}))
    )
    assert rep.visible_text("#verdict-title") == "Gate failed"
    assert "refund-window" in rep.visible_text("#list-failures")
    assert "1/2 passed" in rep.visible_text("#list-flaky")
    assert rep.page.locator("#f-change").count() == 0
    assert rep.console_errors == [] and rep.foreign_requests == []


def test_pages_through_many_rows(open_report) -> None:
    rows = [result(f"c{i:03d}") for i in range(230)]
    rep = open_report(render_html(rows, meta()))
    assert len(_rows(rep)) == 100
    rep.page.click("#pager button:has-text('Next')")
    rep.page.click("#pager button:has-text('Next')")
    assert len(_rows(rep)) == 30 and "Page 3 of 3" in rep.visible_text("#pager")


def test_dark_mode_and_print_layout(open_report) -> None:
    results, m, comp = mixed_run()
    html = render_html(results, m, comp, verdict=verdict_of(comp["gate"]))
    dark = open_report(html, color_scheme="dark")
    bg = dark.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(13, 17, 23)"
    dark.page.emulate_media(media="print")
    assert not dark.page.is_visible("#filters")
    assert dark.page.is_visible("#verdict")
