"""``llmeval run --workers N``: the same run in N processes, merged into one.

End to end through the CLI: same journal and verdict as one process (with a real
regression against the baseline); ``kill -9`` of the parent and Ctrl-C keep every
finished result and ``--resume`` completes the run with every case run exactly once.
Pure parts (the default rule, the 1/N limits) are tested directly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pytest
from scale_project import journal, llmeval, set_broken, write_project

from llmeval.config.project import load_project
from llmeval.engine.workers import default_workers, default_workers_why, share, shared_project

SLOW_APP = """
import os, time
def answer(vars):
    with open(os.path.join(os.path.dirname(__file__), "calls.txt"), "a") as fh:
        fh.write(f"{vars['n']}\\n")
    time.sleep(0.03)
    return f"answer {vars['n']}"
"""


def _runs(root: Path) -> Path:
    return root / ".llmeval" / "runs"


def test_workers_give_the_same_journal_and_verdict_as_one_process(tmp_path: Path):
    root = tmp_path / "p"
    write_project(root, critical=59)
    assert llmeval("run", "--run-id", "base", cwd=root).returncode == 0
    assert llmeval("baseline", "save", "base", cwd=root).returncode == 0
    set_broken(root, list(range(12)))
    one = llmeval("run", "--run-id", "one", "--baseline", "auto", "--json", cwd=root)
    three = llmeval(
        "run", "--workers", "3", "--run-id", "three", "--baseline", "auto", "--json", cwd=root
    )
    assert one.returncode == three.returncode == 1, three.stdout + three.stderr
    a, b = json.loads(one.stdout), json.loads(three.stdout)
    assert a["verdict"] == b["verdict"]
    assert a["comparison"]["counts"] == b["comparison"]["counts"]
    assert journal(_runs(root) / "one") == journal(_runs(root) / "three")
    manifest = json.loads((_runs(root) / "three" / "run.json").read_text())
    assert manifest["workers"]["n"] == 3 and manifest["status"] == "complete"
    assert manifest["verdict"]["status"] == "failed"
    segs = sorted(p.name for p in (_runs(root) / "three" / "workers").iterdir() if p.is_dir())
    assert segs == ["w1", "w2", "w3"]
    assert (root / "reports" / "three.html").is_file()


def _slow_project(root: Path, n: int) -> None:
    write_project(root, n=n)
    (root / "llmeval.yaml").write_text(
        "models:\n  app:\n    provider: python\n    target: app.py:answer\n"
        "defaults:\n  models: [app]\nrun: {concurrency: 2}\n"
    )
    (root / "app.py").write_text(SLOW_APP)


def _start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "llmeval", "run", *args],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "CI": "1"},
    )


def _segment_lines(run_dir: Path) -> int:
    return sum(len(p.read_text().splitlines()) for p in run_dir.glob("workers/w*/results.jsonl"))


def _wait_for(cond, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def _calls(root: Path) -> Counter[str]:
    return Counter((root / "calls.txt").read_text().split())


def test_kill_9_of_the_parent_then_resume_runs_every_case_once(tmp_path: Path):
    root = tmp_path / "k"
    _slow_project(root, 160)
    run_dir = _runs(root) / "k"
    proc = _start(root, "--workers", "2", "--run-id", "k")
    _wait_for(lambda: _segment_lines(run_dir) >= 10)
    proc.kill()  # the parent only: its workers get SIGTERM, drain and keep their results
    proc.wait()
    statuses = lambda: [  # noqa: E731
        json.loads(p.read_text()).get("status") for p in run_dir.glob("workers/w*/run.json")
    ]
    _wait_for(lambda: len(statuses()) == 2 and "running" not in statuses())
    kept = _segment_lines(run_dir)
    assert 10 <= kept < 160
    out = llmeval("run", "--resume", "k", "--json", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["counts"]["finished"] == 160 and data["counts"]["resumed_done"] == kept
    assert len(journal(run_dir)) == 160
    calls = _calls(root)
    assert set(calls) == {str(i) for i in range(160)} and set(calls.values()) == {1}


@pytest.mark.parametrize("after", [1, 10])
def test_ctrl_c_interrupts_all_workers_and_resume_completes(tmp_path: Path, after: int):
    # after=1: the interrupt often reaches the slower worker while it still plans, before
    # its own signal handlers (tests/scale/test_interrupt_window.py is that case alone)
    root = tmp_path / "c"
    _slow_project(root, 160)
    run_dir = _runs(root) / "c"
    proc = _start(root, "--workers", "2", "--run-id", "c")
    _wait_for(lambda: _segment_lines(run_dir) >= after)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["counts"]["not_run"] > 0
    out = llmeval("run", "--resume", "c", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    assert len(journal(run_dir)) == 160  # every case journaled exactly once
    calls = _calls(root)
    # every case called exactly once: a call in flight at the interrupt is journaled
    assert set(calls) == {str(i) for i in range(160)}
    assert set(calls.values()) == {1}, {c: n for c, n in calls.items() if n > 1}


def test_workers_and_shard_do_not_mix(tmp_path: Path):
    root = tmp_path / "m"
    write_project(root, n=3)
    out = llmeval("run", "--workers", "2", "--shard", "1/2", cwd=root)
    assert out.returncode == 4 and "--workers and --shard" in out.stderr


def _plan(n: int, providers: list[str]) -> SimpleNamespace:
    models = {p: SimpleNamespace(provider=p) for p in providers}
    return SimpleNamespace(items=[None] * n, models=models)


@pytest.mark.parametrize(
    ("n", "providers", "cpus", "want"),
    [
        (3999, ["python"], 8, 1),  # small: one process, as always
        (4000, ["python"], 2, 2),
        (4000, ["python"], 16, 4),  # at most 4
        (20000, ["python", "openai"], 8, 1),  # an API model: bound by the provider
        (20000, ["python"], 1, 1),
        (20000, ["python"], None, 1),
    ],
)
def test_default_workers_rule(n, providers, cpus, want):
    assert default_workers(_plan(n, providers), cpus) == want
    assert default_workers_why(_plan(n, providers), cpus)[0] == want


def test_dry_run_says_how_many_workers_and_why(tmp_path: Path):
    root = tmp_path / "d"
    write_project(root, n=5)
    out = llmeval("run", "--dry-run", cwd=root)
    assert out.returncode == 0 and "workers: 1 process (fewer than 4,000 results)" in out.stdout
    out = llmeval("run", "--dry-run", "--json", "--workers", "3", cwd=root)
    assert json.loads(out.stdout)["workers"] == {"n": 3, "why": "--workers"}
    out = llmeval("run", "--dry-run", "--workers", "2", "--shard", "1/2", cwd=root)
    assert out.returncode == 4 and "--workers and --shard" in out.stderr
    big = _plan(20000, ["python", "openai"])
    assert default_workers_why(big, 8) == (
        1,
        "an API or server model: bound by the provider, not by this process",
    )


def test_each_worker_gets_a_share_of_every_limit(tmp_path: Path):
    assert [share(v, 3) for v in (None, 1, 2, 3, 500)] == [None, 1, 1, 1, 166]
    root = tmp_path / "l"
    root.mkdir()
    (root / "llmeval.yaml").write_text(
        "models:\n  api:\n    provider: openai\n    model: gpt-4o-mini\n"
        "    concurrency: 16\n    rpm: 500\n    tpm: 200000\n"
        "defaults:\n  models: [api]\nrun: {concurrency: 8}\n"
    )
    project = shared_project(load_project(root), 4)
    spec = project.settings.models["api"]
    assert (spec.concurrency, spec.rpm, spec.tpm) == (4, 125, 50000)
    assert project.settings.concurrency == 2
