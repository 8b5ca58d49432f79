"""The report on a phone (390 px), a tablet (768 px) and a desktop (1400 px): no
sideways page scroll, no word broken inside itself, tables as cards on the phone."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import pytest
from html_report_data import LONG_CASE, agent_result, long_ids_run, verdict_of
from report_layout import WIDTHS, broken_words, bundled_report, overflow

from llmeval.report.html import render_html

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def bundled_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    return bundled_report(tmp_path_factory.mktemp("bundled")).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def long_html() -> str:
    results, m, comp = long_ids_run()
    return render_html(
        [*results, agent_result()], m, comp, verdict=verdict_of({"passed": False, "reasons": []})
    )


def _assert_fits(rep, width: int) -> None:
    o = overflow(rep.page)
    assert o["page"][0] <= o["page"][1] == width, o
    if o["detail"]:
        assert o["detail"][0] <= o["detail"][1], o
    assert broken_words(rep.page) == []


@pytest.mark.parametrize("width", WIDTHS)
def test_bundled_report_fits_without_broken_words(open_report, bundled_html, width) -> None:
    rep = open_report(bundled_html, width=width)
    _assert_fits(rep, width)
    assert rep.page_errors == [] and rep.console_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_long_ids_and_a_regression_fit_without_broken_words(open_report, long_html, width) -> None:
    rep = open_report(long_html, width=width)
    _assert_fits(rep, width)
    key = rep.page.evaluate(
        "() => document.querySelector('#list-regressions a').getAttribute('href')"
    )
    rep.goto_hash(key[1:])
    rep.wait_until("!document.getElementById('detail').hidden")
    _assert_fits(rep, width)
    # the agent case view (tool calls, trajectory, transcript) too
    rep.goto_hash("case=" + quote("agent/agent-refund/gpt-mini/agent@v1/0"))
    rep.wait_until("document.getElementById('detail-title').textContent === 'agent-refund'")
    _assert_fits(rep, width)


def test_tables_are_stacked_cards_on_a_phone_only(open_report, long_html) -> None:
    cell = "#list-regressions tbody td[data-label=Why]"
    js = f"""() => {{
        const td = document.querySelector('{cell}');
        return [getComputedStyle(td).display,
                getComputedStyle(td, '::before').content,
                getComputedStyle(document.querySelector('#list-regressions thead')).position];
    }}"""
    phone = open_report(long_html, width=390)
    assert phone.page.evaluate(js) == ["block", '"Why"', "absolute"]
    rows = phone.page.locator("#case-rows td[data-label=Case]")
    assert rows.count() == 9 and rows.first.evaluate("e => getComputedStyle(e).display") == "block"
    desk = open_report(long_html, width=1400)
    assert desk.page.evaluate(js)[0] == "table-cell"


def test_ids_break_only_after_separators(long_html) -> None:
    # <wbr> after - / _ . @, inserted after escaping; no id gets overflow-wrap: anywhere
    assert "refund-<wbr>window-<wbr>for-<wbr>international-<wbr>orders" in long_html
    assert "support-<wbr>agent-<wbr>system-<wbr>prompt@<wbr>v12" in long_html
    css = (Path(__file__).parents[2] / "llmeval/report/templates/report.css").read_text()
    assert "overflow-wrap: anywhere" not in css
    assert LONG_CASE in long_html.replace("<wbr>", "")
