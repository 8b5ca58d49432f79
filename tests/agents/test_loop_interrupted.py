"""A provider error in the middle of a tool loop: the case is an error that keeps what
the loop did before it (its steps, tokens and the cost already paid), in the journal,
the console and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_project import TOOLS, cli, make
from fakeserver import OPENAI_CHAT, FakeLLMServer, tool_agent

from llmeval.domain.record import CaseResult

CASES = [
    {"id": "two-tools", "vars": {"input": "weather city=Paris then add a=1 b=1"},
     "assert": [{"type": "contains", "value": "results"}]},
    {"id": "no-tool", "vars": {"input": "just talk to me"},
     "assert": [{"type": "equals", "value": "you said: just talk to me"}]},
]  # fmt: skip


def _tool_results(body: dict) -> int:
    return sum(1 for m in body.get("messages") or () if m.get("role") == "tool")


def test_a_500_at_step_two_keeps_step_one_its_cost_and_shows_it(tmp_path: Path) -> None:
    with FakeLLMServer(responder=tool_agent) as server:
        # step 2 of 3 (the request carrying the first tool result) fails every attempt
        server.fail_when("server_error", lambda body: _tool_results(body) == 1)
        suite = {"name": "agent", "tools": TOOLS, "tools_impl": "tools.py", "cases": CASES}
        root = make(tmp_path, server, suite, models=["oa"], run={"retries": 1})
        proc = cli(root, "run", "--run-id", "r")
        step_two = [r for r in server.requests if _tool_results(r.json) == 1]
        assert len(step_two) == 2 and all(r.status == 500 for r in step_two)  # 1 + 1 retry
        paid = [r for r in server.requests if r.path == OPENAI_CHAT and r.status == 200]
    assert proc.returncode == 3, proc.stdout + proc.stderr  # an error over the budget
    run = root / ".llmeval" / "runs" / "r"
    lines = [json.loads(x) for x in (run / "results.jsonl").read_text().splitlines()]
    rec = next(r for r in lines if r["case_id"] == "two-tools")
    assert rec["status"] == "error" and rec["error"]["kind"] == "transient"
    assert [(s["type"], s["name"]) for s in rec["trajectory"]] == [
        ("model", "gpt-4o-mini"),
        ("tool", "weather"),
    ]
    assert rec["trajectory"][1]["output"] == "sunny in Paris"
    assert [c["name"] for c in rec["tool_calls"]] == ["weather"]
    assert [m["role"] for m in rec["messages"]] == ["user", "assistant", "tool"]
    # step 1's tokens and price are on the result (the fake server counts a token a word;
    # an answer that only calls a tool has no words)
    t = rec["tokens"]
    assert t["input"] == 6 and rec["cost_usd"] > 0
    assert rec["cost_usd"] == pytest.approx((t["input"] * 1000 + t["output"] * 2000) / 1e6)
    assert rec["assertions"] == []  # an error is not scored
    # the paid calls: step 1 of the failed case and the other case's one call
    assert len(paid) == 2
    manifest = json.loads((run / "run.json").read_text())
    totals = manifest["summary"]["totals"]
    other = next(r for r in lines if r["case_id"] == "no-tool")
    assert totals["spent_usd"] == pytest.approx(rec["cost_usd"] + other["cost_usd"])
    assert totals["errors"] == 1 and manifest["spent_usd"] == pytest.approx(totals["spent_usd"])
    # the console names the error and the steps made before it
    out = " ".join(proc.stdout.split())
    assert "transient" in out and "2 steps before it: model gpt-4o-mini, tool weather" in out
    # the report's row carries the trajectory (its "Trajectory (2 steps)" section)
    from llmeval.report import html_payload

    results = [CaseResult.from_json(r) for r in lines]
    rows = {r["c"]: r for r in html_payload.build_rows(results, None).rows}
    assert rows["two-tools"]["st"] == "error"
    assert [s[:2] for s in rows["two-tools"]["tj"]] == [
        ["model", "gpt-4o-mini"],
        ["tool", "weather"],
    ]
    html = (root / "reports" / "r.html").read_text(encoding="utf-8")
    assert "sunny in Paris" in html


def test_an_auth_error_in_turn_two_keeps_turn_one_and_stops_the_model(tmp_path: Path) -> None:
    """Any provider error kind: the steps stay, and auth still stops the model."""
    chat = {"id": "chat", "turns": ["hello there", "second turn", "third turn"]}
    with FakeLLMServer(responder=tool_agent) as server:
        server.fail_when("auth", lambda body: "second turn" in json.dumps(body))
        root = make(tmp_path, server, {"name": "conv", "cases": [chat]}, models=["oa"])
        proc = cli(root, "run", "--no-report", "--run-id", "c")
        assert sum(1 for r in server.requests if r.status == 401) == 1  # fatal: no retry
    assert proc.returncode == 3, proc.stdout + proc.stderr  # incomplete, resumable
    text = (root / ".llmeval" / "runs" / "c" / "results.jsonl").read_text()
    (rec,) = [json.loads(x) for x in text.splitlines()]
    assert rec["status"] == "error" and rec["error"]["kind"] == "auth"
    assert [s["type"] for s in rec["trajectory"]] == ["model"]
    assert rec["trajectory"][0]["output"] == "you said: hello there"
    roles = [m["role"] for m in rec["messages"]]
    assert roles == ["user", "assistant", "user"]  # turn 2's message was sent, not answered
    assert "model 'oa' stopped" in proc.stdout + proc.stderr
    # turn 1 was paid: 2 words in, 4 out
    assert rec["cost_usd"] == pytest.approx(0.01) and "$0.0100 spent" in " ".join(
        proc.stdout.split()
    )  # the console wraps
