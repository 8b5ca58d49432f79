"""kill -9 in the middle of tool loops, then --resume: every step answered before the
kill replays from the cache (never asked again), every case ends journaled once, with
the same final answers as an uninterrupted run."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from agent_project import TOOLS, cli, make, start
from fakeserver import FakeLLMServer, tool_agent

N = 8


def _body_key(rec) -> str:
    return rec.path + json.dumps(rec.json.get("messages"), sort_keys=True)


def _lines(root: Path) -> list[dict]:
    path = root / ".llmeval" / "runs" / "k" / "results.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text(encoding="utf-8").split("\n")[:-1] if x]


def test_kill_mid_loop_then_resume_does_not_reask_finished_steps(tmp_path: Path) -> None:
    cases = [
        {"id": f"c{i}", "vars": {"input": f"add a={i} b=1 weather city=C{i} add a=1 b={i}"},
         "assert": [{"type": "equals", "value": f"results: {i + 1}; sunny in C{i}; {i + 1}"}]}
        for i in range(N)
    ]  # fmt: skip
    suite = {"name": "agent", "tools": TOOLS, "tools_impl": "tools.py", "cases": cases}
    with FakeLLMServer(responder=tool_agent, latency_ms=150) as server:
        root = make(tmp_path, server, suite, models=["oa"], run={"concurrency": 2})
        proc = start(root, "run", "--no-report", "--run-id", "k")
        # kill once some steps are done but not every case: mid-loop for the cases in flight
        deadline = time.monotonic() + 60
        while len([r for r in server.requests if r.status == 200]) < 9:
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        killed_at = time.time()
        before = [r for r in server.requests if r.status == 200]
        finished_before = len(_lines(root))
        assert finished_before < N  # the kill did land mid-run
        # steps answered well before the kill had their answer cached
        settled = {_body_key(r) for r in before if r.at < killed_at - 0.5}
        n_before = len(server.requests)
        done = cli(root, "run", "--no-report", "--resume", "k")
        assert done.returncode == 0, done.stdout + done.stderr
        after = server.requests[n_before:]
        reasked = [_body_key(r) for r in after if _body_key(r) in settled]
        assert reasked == []
        lines = _lines(root)
        assert sorted(r["case_id"] for r in lines) == sorted(c["id"] for c in cases)
        assert all(r["status"] == "pass" for r in lines), [r["error"] for r in lines]
        # 4 model calls per case in all, each asked at most once more than needed (the
        # calls in flight at the kill)
        assert len(set(map(_body_key, server.requests))) == 4 * N
        assert len(server.requests) <= 4 * N + 2
