"""Conversations: turns sent one after another with the model's real replies in the
history, per-turn assertions (``turn``), the case's own assertions on the final answer,
one verdict; each turn cached (a rerun sends nothing); python targets get the history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from agent_project import cli, make
from fakeserver import OPENAI_CHAT, FakeLLMServer, tool_agent

CASES = [
    {
        "id": "chat",
        "vars": {"name": "Ada", "city": "Paris"},
        "turns": [
            {"content": "hello I am {{ name }}",
             "assert": [{"type": "equals", "value": "you said: hello I am Ada"}]},
            "I live in {{ city }}",
            {"content": "bye", "assert": [{"type": "contains", "value": "farewell"}]},  # fails
        ],
        "assert": [{"type": "contains", "value": "bye"}],
    },
    {
        "id": "continued",
        "messages": [
            {"role": "user", "content": "earlier question"},
            {"role": "assistant", "content": "earlier answer"},
            {"role": "user", "content": "and now {{ name }}"},
        ],
        "vars": {"name": "Bob"},
        "assert": [{"type": "equals", "value": "you said: and now Bob"}],
    },
]  # fmt: skip


def _lines(root: Path, run: str) -> dict[str, dict]:
    text = (root / ".llmeval" / "runs" / run / "results.jsonl").read_text(encoding="utf-8")
    return {r["case_id"]: r for r in map(json.loads, text.splitlines())}


@pytest.mark.parametrize("model", ["oa", "an"])
def test_turns_carry_the_real_history_and_are_scored_per_turn(tmp_path: Path, model: str) -> None:
    with FakeLLMServer(responder=tool_agent) as server:
        suite = {"name": "conv", "prompt": "chat", "cases": CASES}
        root = make(tmp_path, server, suite, models=[model])
        (root / "prompts" / "chat").mkdir(parents=True)
        (root / "prompts" / "chat" / "v1.yaml").write_text("system: You are terse.\n")
        proc = cli(root, "run", "--no-report", "--run-id", "a")
        assert proc.returncode == 1, proc.stdout + proc.stderr  # the honest turn-2 failure
        assert len(server.requests) == 4  # three turns + one continued history
        bodies = [r.json for r in server.requests if r.path == OPENAI_CHAT]
        third = max(bodies, key=lambda b: len(b["messages"])) if bodies else None
        lines = _lines(root, "a")
        chat = lines["chat"]
        assert chat["status"] == "fail"
        got = [(a["type"], a.get("turn"), a["passed"]) for a in chat["assertions"]]
        assert got == [("contains", None, True), ("equals", 0, True), ("contains", 2, False)]
        assert chat["output"] == "you said: bye"
        contents = [(m["role"], m["content"]) for m in chat["messages"]]
        assert contents == [
            ("system", "You are terse."),
            ("user", "hello I am Ada"),
            ("assistant", "you said: hello I am Ada"),
            ("user", "I live in Paris"),
            ("assistant", "you said: I live in Paris"),
            ("user", "bye"),
            ("assistant", "you said: bye"),
        ]
        if third is not None:  # the model's real replies went back in the history
            assert [m["content"] for m in third["messages"]] == [c for _, c in contents[:-1]]
        assert lines["continued"]["status"] == "pass"
        assert lines["continued"]["messages"][2]["content"] == "earlier answer"
        # a rerun replays every turn from the cache
        proc = cli(root, "run", "--no-report", "--run-id", "b")
        assert proc.returncode == 1
        assert len(server.requests) == 4
        assert _lines(root, "b")["chat"]["cached"] is True


APP = """\
def reply(messages):
    users = [m["content"] for m in messages if m["role"] == "user"]
    return f"turn {len(users)}: {users[-1]} (after {len(messages) - 1} messages)"
"""


def test_a_python_target_receives_the_whole_history(tmp_path: Path) -> None:
    (tmp_path / "suites").mkdir()
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "llmeval.yaml").write_text(
        "models:\n  app: {provider: python, target: app.py:reply}\ndefaults: {models: [app]}\n"
    )
    suite = {
        "name": "py",
        "cases": [
            {"id": "c", "turns": [
                {"content": "one", "assert": [{"type": "equals", "value": "turn 1: one (after 0 messages)"}]},
                {"content": "two", "assert": [{"type": "equals", "value": "turn 2: two (after 2 messages)"}]},
            ]}
        ],
    }  # fmt: skip
    import yaml

    (tmp_path / "suites" / "py.yaml").write_text(yaml.safe_dump(suite))
    proc = cli(tmp_path, "run", "--no-report", "--run-id", "p")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rec = _lines(tmp_path, "p")["c"]
    assert [a["turn"] for a in rec["assertions"]] == [0, 1]
    assert rec["output"] == "turn 2: two (after 2 messages)"
    # the user message opening each turn is marked with the number its assertions carry
    assert [(m["role"], m.get("turn")) for m in rec["messages"]] == [
        ("user", 0), ("assistant", None), ("user", 1), ("assistant", None)
    ]  # fmt: skip


def test_turns_and_the_tool_loop_combine(tmp_path: Path) -> None:
    from agent_project import TOOLS

    case = {
        "id": "both",
        "turns": [
            {"content": "add a=2 b=2", "assert": [{"type": "equals", "value": "results: 4"}]},
            {"content": "now weather city=Oslo",
             "assert": [{"type": "tool-call", "value": {"name": "weather", "position": "only"}}]},
        ],
    }  # fmt: skip
    with FakeLLMServer(responder=tool_agent) as server:
        suite = {"name": "both", "tools": TOOLS, "tools_impl": "tools.py", "cases": [case]}
        root = make(tmp_path, server, suite, models=["oa"])
        proc = cli(root, "run", "--no-report", "--run-id", "t")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert len(server.requests) == 4  # two calls per turn
    rec = _lines(root, "t")["both"]
    assert rec["output"] == "results: sunny in Oslo"
    assert [m["role"] for m in rec["messages"]] == [
        "user", "assistant", "tool", "assistant", "user", "assistant", "tool", "assistant",
    ]  # fmt: skip
    assert [s["attributes"].get("turn") for s in rec["trajectory"]] == [0, 0, 0, 1, 1, 1]
    assert [(a["turn"], a["passed"]) for a in rec["assertions"]] == [(0, True), (1, True)]
