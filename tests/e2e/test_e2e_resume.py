"""Interrupted runs through the CLI: kill -9, Ctrl-C and a budget stop, each
completed by ``--resume`` with every case journaled exactly once and nothing that
had finished requested again."""

from __future__ import annotations

import collections
import json
import signal
import time

import pytest
from e2e_project import (
    PRICE,
    completion_prompts,
    keys_once,
    make_project,
    ok_cases,
    openai_model,
)
from fakeserver import FakeLLMServer

LATENCY_S = 0.1
CONCURRENCY = 4


@pytest.fixture
def server():
    with FakeLLMServer(latency_ms=LATENCY_S * 1000) as srv:
        yield srv


def _project(server, tmp_path, n: int = 40, **model):
    return make_project(
        tmp_path,
        {"oa": openai_model(server.openai_base_url, **model)},
        n_cases=n,
        run={"concurrency": CONCURRENCY},
    )


def test_kill_9_then_resume_requests_only_the_missing_cases(server, tmp_path) -> None:
    """Precisely: F = cases journaled before the kill. The resume never requests a
    case in F, requests every never-started case exactly once, and may request again
    only a case that was in flight at the kill (at most one per worker); a case whose
    answer reached the cache but not the journal is a cache hit, not a request."""
    project = _project(server, tmp_path)
    bg = project.start("run", "--run-id", "k9", "--no-report")
    project.wait_for_lines("k9", 10, bg.proc)
    bg.signal(signal.SIGKILL)
    assert bg.wait()[0] == -signal.SIGKILL
    time.sleep(LATENCY_S * 3)  # requests in flight at the kill reach the server's record
    phase1 = server.requests
    finished = {line["case_id"] for line in project.journal("k9")}
    assert 10 <= len(finished) < len(project.cases)

    code, out, err = project.start("run", "--resume", "k9", "--no-report", tag="r").wait()
    assert code == 0, out + err
    phase2 = server.requests[len(phase1) :]
    asked1, asked2 = completion_prompts(phase1), completion_prompts(phase2)

    # nothing that had finished is requested again; each missing case at most once
    assert not set(asked2) & finished
    assert set(asked2) <= set(project.cases) - finished
    assert set(asked2.values()) <= {1}
    # cases never started before the kill are all requested by the resume
    assert set(project.cases) - set(asked1) <= set(asked2)
    # a case asked twice was in flight at the kill: at most one per worker
    again = set(asked1) & set(asked2)
    assert len(again) <= CONCURRENCY
    assert all(ok_cases(server)[c] <= 2 for c in again)
    # a case answered before the kill but not journaled is a cache hit, not a request
    lines = project.journal("k9")
    by_case = {line["case_id"]: line for line in lines}
    for c in set(project.cases) - finished - set(asked2):
        assert by_case[c]["cached"], c
    # exactly once in the final journal, all passing
    assert keys_once(lines) == {(c, "oa"): 1 for c in project.cases}
    assert all(line["status"] == "pass" for line in lines)
    manifest = project.manifest("k9")
    assert manifest["status"] == "complete" and manifest["counts"]["resumed_done"] == len(finished)


def test_ctrl_c_exits_2_keeps_results_and_resumes(server, tmp_path) -> None:
    project = _project(server, tmp_path)
    bg = project.start("run", "--run-id", "int", "--no-report")
    project.wait_for_lines("int", 8, bg.proc)
    seen = {line["case_id"] for line in project.journal("int")}
    bg.signal(signal.SIGINT)
    code, out, err = bg.wait()
    assert code == 2, out + err
    assert "resume with: llmeval run --resume int" in err
    finished = {line["case_id"] for line in project.journal("int")}
    assert seen <= finished < set(project.cases)
    manifest = project.manifest("int")
    assert manifest["status"] == "interrupted"
    assert manifest["counts"]["not_run"] == len(project.cases) - len(finished)

    time.sleep(LATENCY_S * 2)
    before = len(server.requests)
    resumed = project.run("run", "--resume", "int", "--no-report")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    asked = completion_prompts(server.requests[before:])
    assert not set(asked) & finished and set(asked.values()) <= {1}
    assert keys_once(project.journal("int")) == {(c, "oa"): 1 for c in project.cases}

    # resuming a complete run is a no-op that still exits 0
    before = len(server.requests)
    again = project.run("run", "--resume", "int", "--no-report")
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(server.requests) == before
    assert len(project.journal("int")) == len(project.cases)


def test_max_cost_stops_with_exit_3_and_resume_completes(server, tmp_path) -> None:
    # each call costs ~4 words in and out at $1000/$2000 per Mtok (~$0.012), and is
    # estimated higher (max_tokens is the output bound)
    project = _project(server, tmp_path, n=12, price=PRICE, params={"max_tokens": 8})
    proc = project.run("run", "--run-id", "budget", "--max-cost", "0.08", "--no-report")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    manifest = project.manifest("budget")
    assert manifest["status"] == "budget"
    assert manifest["spent_usd"] <= 0.08
    finished = {line["case_id"] for line in project.journal("budget")}
    assert 0 < len(finished) < len(project.cases)
    assert manifest["counts"]["not_run"] == len(project.cases) - len(finished)
    assert "resume with: llmeval run --resume budget" in proc.stderr

    resumed = project.run("run", "--resume", "budget", "--no-report")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    # never paid twice: one successful request per case over both invocations
    assert ok_cases(server) == collections.Counter({c: 1 for c in project.cases})
    lines = project.journal("budget")
    assert keys_once(lines) == {(c, "oa"): 1 for c in project.cases}
    final = project.manifest("budget")
    assert final["status"] == "complete"
    assert final["spent_usd"] == pytest.approx(sum(line["cost_usd"] for line in lines))


def test_max_cost_does_not_count_cached_answers(server, tmp_path) -> None:
    project = _project(server, tmp_path, n=6, price=PRICE, params={"max_tokens": 8})
    assert project.run("run", "--no-report").returncode == 0
    before = len(server.requests)
    # a budget smaller than one call: every answer is cached, so nothing is spent
    again = project.run("run", "--max-cost", "0.000001", "--no-report")
    assert again.returncode == 0, again.stdout + again.stderr
    assert len(server.requests) == before


def test_resume_of_a_damaged_journal_says_so_and_runs_those_cases_again(server, tmp_path) -> None:
    """A journal line that is not a result (edited, or damaged on disk) is not silently
    dropped: the resume names the file and line, and runs that case again (a cache hit,
    so it is not paid twice)."""
    project = _project(server, tmp_path, n=6)
    first = project.run("run", "--run-id", "dj", "--no-report")
    assert first.returncode == 0, first.stdout + first.stderr
    path = project.run_dir("dj") / "results.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lost = json.loads(lines[2])["case_id"]
    lines[2] = '{"run_id": "dj", "case_id": ' + "\n"  # cut mid-record
    path.write_text("".join(lines), encoding="utf-8")
    sent = len(server.requests)
    out = project.run("run", "--resume", "dj", "--no-report")
    assert out.returncode == 0, out.stdout + out.stderr
    said = "".join((out.stdout + out.stderr).split())  # the console wraps long paths
    notice = f"{path}: 1 unreadable line (first: line 3) skipped; their results run again"
    assert "".join(notice.split()) in said
    again = [ln for ln in project.journal("dj") if ln.get("case_id") == lost]
    assert len(again) == 1 and again[0]["cached"] is True
    assert len(server.requests) == sent  # the answer came from the cache
