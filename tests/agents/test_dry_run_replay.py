"""``--dry-run`` prices what a run would pay: a tool loop or conversation whose calls an
earlier run left in the cache costs nothing, one with some calls missing pays for the
rest, and a changed case pays in full."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from agent_project import TOOLS, cli, make
from fakeserver import FakeLLMServer, tool_agent

CASES = [
    {"id": "two-tools", "vars": {"input": "weather city=Paris then add a=1 b=1"}},
    {"id": "chat", "turns": ["hello there", "and again"]},
]  # fmt: skip
SUITE = {"name": "agent", "tools": TOOLS, "tools_impl": "tools.py", "max_steps": 4,
         "cases": CASES}  # fmt: skip


def _plan(root: Path, *args: str) -> dict:
    proc = cli(root, "run", "--dry-run", "--json", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


@pytest.fixture
def server():
    with FakeLLMServer(responder=tool_agent) as srv:
        yield srv


def test_cached_tool_loop_and_conversation_cost_nothing(tmp_path: Path, server) -> None:
    root = make(tmp_path, server, SUITE, models=["oa"])
    before = _plan(root)["models"]["oa"]
    # before any run: every call each may make (4 steps; 2 turns x 4 steps), at full price
    assert before["cached"] == 0 and before["cost_usd"] > 0
    assert cli(root, "run", "--no-report", "--run-id", "a").returncode == 0
    calls = len(server.requests)
    assert calls == 3 + 2  # the loop's 3 calls, one per turn
    after = _plan(root)
    assert after["models"]["oa"]["cached"] == 2 and after["models"]["oa"]["cost_usd"] == 0
    assert after["replay_ready"] is True
    # what the dry-run promised: the rerun makes no call and pays nothing
    proc = cli(root, "run", "--no-report", "--run-id", "b", "--json")
    assert proc.returncode == 0 and len(server.requests) == calls
    assert json.loads(proc.stdout)["summary"]["totals"]["spent_usd"] == 0
    # the cache says which calls are free, not the journal: --cache-mode off pays in full
    off = _plan(root, "--cache-mode", "off")["models"]["oa"]
    assert off["cost_usd"] == pytest.approx(before["cost_usd"])


def test_a_partly_cached_loop_pays_for_the_calls_after_the_first_miss(
    tmp_path: Path, server
) -> None:
    root = make(tmp_path, server, {**SUITE, "cases": CASES[:1]}, models=["oa"])
    full = _plan(root)["models"]["oa"]
    assert cli(root, "run", "--no-report", "--run-id", "a").returncode == 0
    # forget the loop's last call: the first two are replayed, the third is paid again
    from llmeval.providers.cache import ResponseCache

    cache = ResponseCache(root / ".llmeval" / "cache", None)
    try:
        keys = list(cache.db.iterkeys())
        assert len(keys) == 3
        last = next(k for k in keys if (c := cache.peek(k)) is not None and not c.tool_calls)
        cache.db.delete(last)
    finally:
        cache.close()
    part = _plan(root)["models"]["oa"]
    assert part["cached"] == 0
    # max_steps 4, 2 replayed: 2 calls priced, half of the 4 an unknown loop is priced at
    assert part["cost_usd"] == pytest.approx(full["cost_usd"] / 2)
    assert part["tokens_out"] * 2 == full["tokens_out"]
    # a changed case is a new conversation: its first call misses, so it pays in full
    changed = [{**CASES[0], "vars": {"input": "weather city=Rome then add a=1 b=1"}}]
    make(tmp_path, server, {**SUITE, "cases": changed}, models=["oa"])
    assert _plan(root)["models"]["oa"]["cost_usd"] == pytest.approx(full["cost_usd"])
    # no journal, no history: the cache alone cannot tell the later requests
    shutil.rmtree(root / ".llmeval" / "runs")
    make(tmp_path, server, {**SUITE, "cases": CASES[:1]}, models=["oa"])
    assert _plan(root)["models"]["oa"]["cost_usd"] == pytest.approx(full["cost_usd"])
