"""The case view of an agent: tool calls, trajectory steps and the conversation as a
transcript with per-turn assertions under their turn, every value shown as text."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
from html_report_data import agent_result, meta, result

from llmeval.domain.record import CaseResult
from llmeval.report.html import render_html

pytestmark = pytest.mark.browser

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
KEY = "agent/agent-refund/gpt-mini/agent@v1/0"


@pytest.fixture
def agent(open_report):
    # through the journal's shape, as `llmeval report` reads it back
    r = CaseResult.from_json(json.loads(json.dumps(agent_result(PAYLOAD).to_json())))
    rep = open_report(render_html([r, result("plain")], meta()), fragment="#case=" + quote(KEY))
    rep.wait_until("document.getElementById('detail-title').textContent === 'agent-refund'")
    return rep


def _texts(rep, selector: str) -> list[str]:
    return rep.page.locator(selector).all_inner_texts()


def test_tool_calls_show_name_arguments_and_raw_text(agent) -> None:
    calls = _texts(agent, "#detail .block:has(> h3:text('Tool calls (2)')) > .call")
    assert len(calls) == 2
    assert "lookup_order" in calls[0] and '"order_id": "A-17"' in calls[0]
    assert "refund" in calls[1] and "not valid json" in calls[1].lower()
    assert '{"amount": 12,' + PAYLOAD in calls[1]


def test_trajectory_lists_every_step(agent) -> None:
    steps = _texts(agent, "#detail ol.steps > li")
    assert len(steps) == 3
    assert "gpt-mini" in steps[0] and "12 ms" in steps[0]
    assert "lookup_order" in steps[1] and "4 ms" in steps[1] and "from loop" in steps[1]
    assert f"order A-17: 1 mug {PAYLOAD}" in steps[1]
    assert "from otel" in steps[2] and f"ValueError: bad amount {PAYLOAD}" in steps[2]
    assert agent.page.locator("#detail li.step-err").count() == 1


def test_transcript_groups_assertions_under_their_turn(agent) -> None:
    log = agent.page.locator("#detail .transcript > *")
    kinds = log.evaluate_all(
        "els => els.map(e => e.classList.contains('turn-asserts') ? 'asserts'"
        " : e.className.replace('msg role-', ''))"
    )
    assert kinds == [
        "system", "user", "assistant", "tool", "assistant", "asserts",
        "user", "assistant", "asserts",
    ]  # fmt: skip
    groups = agent.page.locator("#detail .turn-asserts")
    first = groups.nth(0).locator("td[data-label=Assertion]").all_inner_texts()
    second = groups.nth(1).locator("td[data-label=Assertion]").all_inner_texts()
    assert [re.sub(r"\s+", " ", t) for t in first] == ["tool-call turn 1", "icontains turn 1"]
    assert [re.sub(r"\s+", " ", t) for t in second] == ["not-icontains turn 2"]
    whole = agent.page.locator("#detail .block:has(> h3:text-matches('whole case'))")
    assert whole.locator("td[data-label=Assertion]").all_inner_texts() == ["trajectory:step-count"]
    tool_head = agent.page.locator("#detail .transcript .role-tool .role").inner_text()
    assert re.sub(r"\s+", " ", tool_head).lower() == "tool result of call_1"
    assert f"Refund it please {PAYLOAD}" in agent.visible_text("#detail .transcript")


def test_payloads_in_tool_data_stay_text(agent) -> None:
    page = agent.page
    assert page.evaluate("document.scripts.length") == 2  # the data block and ours
    assert page.locator("#detail img, #detail script").count() == 0
    assert agent.dialogs == [] and agent.page_errors == [] and agent.foreign_requests == []
    assert agent.visible_text("#detail").count("<script>alert(1)</script>") >= 6


def test_payload_stays_compact() -> None:
    from llmeval.report import html_payload

    plain, ag = result("plain"), agent_result()
    rows = {r["c"]: r for r in html_payload.build_rows([plain, ag], None).rows}
    p, a = rows["plain"], rows["agent-refund"]
    assert all(len(m) == 2 for m in p["ms"]) and all(len(x) == 8 for x in p["a"])
    assert "tc" not in p and "tj" not in p
    assert a["tc"][0][:1] == ["lookup_order"] and a["tc"][1][1] is None  # not valid JSON
    assert [len(m) for m in a["ms"]] == [2, 2, 3, 4, 2, 2, 2]
    assert [x[8] for x in a["a"][:3]] == [0, 0, 1] and len(a["a"][3]) == 8
    assert [s[:2] for s in a["tj"]] == [
        ["model", "gpt-mini"],
        ["tool", "lookup_order"],
        ["tool", "refund"],
    ]


def test_turns_start_where_the_engine_marked_them(open_report) -> None:
    """A prior history (``messages:``) holds a user message too: the turn is the marked
    message, not the first user message."""
    from dataclasses import replace

    from llmeval.domain.record import AssertionResult

    r = replace(
        agent_result(PAYLOAD),
        messages=(
            {"role": "system", "content": "You are a shop assistant."},
            {"role": "user", "content": "earlier question"},
            {"role": "assistant", "content": "earlier answer"},
            {"role": "user", "content": "now this", "turn": 0},
            {"role": "assistant", "content": "the answer"},
        ),
        assertions=(AssertionResult("icontains", "pass", 1.0, "found", turn=0),),
    )
    r = CaseResult.from_json(json.loads(json.dumps(r.to_json())))
    rep = open_report(render_html([r], meta()), fragment="#case=" + quote(KEY))
    rep.wait_until("document.getElementById('detail-title').textContent === 'agent-refund'")
    kinds = rep.page.locator("#detail .transcript > *").evaluate_all(
        "els => els.map(e => e.classList.contains('turn-asserts') ? 'asserts'"
        " : e.className.replace('msg role-', '') + (e.querySelector('.tag') ? '*' : ''))"
    )
    assert kinds == ["system", "user", "assistant", "user*", "assistant", "asserts"]
