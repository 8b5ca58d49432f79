"""The tool loop through the real openai / anthropic SDKs against the fake server, in
all three wire formats: tools reach the server, the calls come back into the journal,
tool results go back to the model, and the loop runs to a final answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_project import TOOLS, cli, make
from fakeserver import ANTHROPIC_MESSAGES, OPENAI_CHAT, OPENAI_RESPONSES, FakeLLMServer, tool_agent

CASES = [
    {"id": "sum", "vars": {"input": "please add a=2 b=3"},
     "assert": [{"type": "contains", "value": "results: 5"}]},
    {"id": "two-tools", "vars": {"input": "weather city=Paris then add a=1 b=1"},
     "assert": [{"type": "equals", "value": "results: sunny in Paris; 2"}]},
    {"id": "no-tool", "vars": {"input": "just talk to me"},
     "assert": [{"type": "equals", "value": "you said: just talk to me"}]},
    {"id": "tool-raises", "vars": {"input": "try broken x=1"},
     "assert": [{"type": "contains", "value": "weather station is down"}]},
]  # fmt: skip


def _suite(**extra: object) -> dict:
    return {"name": "agent", "tools": TOOLS, "tools_impl": "tools.py", "cases": CASES, **extra}


def _journal(root: Path) -> dict[tuple[str, str], dict]:
    path = next((root / ".llmeval" / "runs").glob("*/results.jsonl"))
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    return {(r["case_id"], r["model"]): r for r in lines}


@pytest.fixture
def server():
    with FakeLLMServer(responder=tool_agent) as srv:
        yield srv


def test_loop_runs_to_a_final_answer_in_every_wire_format(tmp_path: Path, server) -> None:
    root = make(tmp_path, server, _suite())
    proc = cli(root, "run", "--no-report", "--run-id", "r1")
    assert proc.returncode == 0, proc.stderr
    journal = _journal(root)
    assert len(journal) == 12
    # per model: sum 2 calls, two-tools 3, no-tool 1, tool-raises 2
    assert server.counts() == {OPENAI_CHAT: 8, OPENAI_RESPONSES: 8, ANTHROPIC_MESSAGES: 8}
    for model in ("oa", "rs", "an"):
        two = journal[("two-tools", model)]
        assert two["status"] == "pass", two
        assert two["output"] == "results: sunny in Paris; 2"
        assert [(c["name"], c["arguments"]) for c in two["tool_calls"]] == [
            ("weather", {"city": "Paris"}),
            ("add", {"a": 1, "b": 1}),
        ]
        kinds = [(s["type"], s["name"]) for s in two["trajectory"]]
        assert [k for k in kinds if k[0] == "tool"] == [("tool", "weather"), ("tool", "add")]
        assert sum(1 for k in kinds if k[0] == "model") == 3
        assert all(s["source"] == "loop" for s in two["trajectory"])
        roles = [m["role"] for m in two["messages"]]
        assert roles == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
        assert two["messages"][1]["tool_calls"][0]["name"] == "weather"
        assert two["messages"][2]["content"] == "sunny in Paris"
        # the fake server counts one word per token: summed over the three calls
        assert two["tokens"]["output"] >= 4 and two["tokens"]["input"] > 0
        if model == "oa":  # each call priced by the pricing layer; the loop sums them
            t = two["tokens"]
            assert two["cost_usd"] == pytest.approx((t["input"] * 1000 + t["output"] * 2000) / 1e6)
        raised = journal[("tool-raises", model)]
        assert raised["status"] == "pass"
        step = next(s for s in raised["trajectory"] if s["type"] == "tool")
        assert step["error"] == "ValueError: the weather station is down"
        assert journal[("no-tool", model)]["trajectory"][0]["type"] == "model"
    # the tools were on the wire in each format, and the results went back
    for rec in server.requests:
        names = [t.get("name") or t["function"]["name"] for t in rec.json["tools"]]
        assert names == ["add", "weather", "broken", "slow"]
    last_chat = [r.json for r in server.requests if r.path == OPENAI_CHAT]
    assert any(m.get("role") == "tool" for b in last_chat for m in b["messages"])
    anth = [r.json for r in server.requests if r.path == ANTHROPIC_MESSAGES]
    assert any(
        isinstance(m["content"], list) and m["content"][0].get("type") == "tool_result"
        for b in anth
        for m in b["messages"]
    )


def test_a_fully_cached_rerun_makes_no_request(tmp_path: Path, server) -> None:
    root = make(tmp_path, server, _suite(), models=["oa", "an"])
    assert cli(root, "run", "--no-report", "--run-id", "a").returncode == 0
    first = len(server.requests)
    assert first == 16
    proc = cli(root, "run", "--no-report", "--run-id", "b", "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(server.requests) == first  # the whole conversation replayed from the cache
    again = {
        (r["case_id"], r["model"]): r
        for r in map(json.loads, (root / ".llmeval/runs/b/results.jsonl").read_text().splitlines())
    }
    assert all(r["cached"] for r in again.values())
    assert again[("two-tools", "oa")]["output"] == "results: sunny in Paris; 2"
    # replay mode (keyless CI) works too
    proc = cli(root, "run", "--no-report", "--run-id", "c", "--cache-mode", "replay")
    assert proc.returncode == 0, proc.stderr
    assert len(server.requests) == first


def test_max_steps_is_the_candidates_error_with_its_trajectory(tmp_path: Path, server) -> None:
    cases = [{"id": "long", "vars": {"input": "weather city=Oslo add a=1 b=2 weather city=Rome"}}]
    root = make(tmp_path, server, _suite(cases=cases, max_steps=2), models=["oa"])
    proc = cli(root, "run", "--no-report", "--run-id", "m")
    assert proc.returncode == 1, proc.stderr  # a verdict on the candidate, not incomplete (3)
    rec = _journal(root)[("long", "oa")]
    assert rec["status"] == "error"
    assert rec["error"]["kind"] == "max_steps"
    assert "max_steps 2" in rec["error"]["message"]
    assert [s["type"] for s in rec["trajectory"]] == ["model", "tool", "model"]
    assert len(server.requests) == 2


def test_timeout_and_unknown_tool_go_back_to_the_model(tmp_path: Path, server) -> None:
    cases = [
        {"id": "slow", "vars": {"input": "call slow"},
         "assert": [{"type": "contains", "value": "no answer within 0.3 s"}]},
    ]  # fmt: skip
    root = make(tmp_path, server, _suite(cases=cases, tool_timeout_s=0.3), models=["oa"])
    proc = cli(root, "run", "--no-report", "--run-id", "t")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    step = next(s for s in _journal(root)[("slow", "oa")]["trajectory"] if s["type"] == "tool")
    assert "no answer within 0.3 s" in step["error"]
    # a model that calls a tool nobody declared is told so, and the step records it
    server.script({"tool_calls": [{"name": "ghost", "arguments": {}}]}, "sorry")
    proc = cli(root, "run", "--no-report", "--run-id", "u", "--cache-mode", "off")
    rec = _journal_of(root, "u")[("slow", "oa")]
    ghost = rec["trajectory"][1]
    assert (ghost["type"], ghost["name"]) == ("tool", "ghost")
    assert ghost["error"].startswith("unknown tool 'ghost'")
    assert rec["messages"][2]["content"].startswith("error: unknown tool 'ghost'")
    assert rec["output"] == "sorry"


def _journal_of(root: Path, run: str) -> dict[tuple[str, str], dict]:
    text = (root / ".llmeval" / "runs" / run / "results.jsonl").read_text(encoding="utf-8")
    return {(r["case_id"], r["model"]): r for r in map(json.loads, text.splitlines())}
