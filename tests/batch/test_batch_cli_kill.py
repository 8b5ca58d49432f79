"""A 1,000-case ``llmeval run --batch`` killed with ``kill -9`` at random moments during
submission and polling, resumed with ``llmeval run --resume``: every case is journaled
exactly once, every request processed by the provider once, and every batch the
provider holds is one the run folder recorded (0 resubmissions)."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from batch_project import cli, journal, make, model, run_dir, start
from fakeserver import ANTHROPIC_BATCHES, OPENAI_BATCHES, OPENAI_FILES, FakeLLMServer

from llmeval.providers.batch import summarize

N, PER_BATCH = 1000, 300


def _phases(folder: Path) -> list[str]:
    try:
        return [s.phase for s in summarize(folder)]
    except (OSError, ValueError):  # a state being replaced right now
        return []


def _kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool], extra_s: float) -> bool:
    deadline = time.monotonic() + 120
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    time.sleep(extra_s)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    return True


@pytest.mark.timeout(600)
@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_thousand_case_batch_run_survives_kill_9_with_no_resubmission(
    api: str, tmp_path: Path
) -> None:
    rng = random.Random(1500 if api == "openai" else 1501)
    with FakeLLMServer() as srv:
        srv.batches.delay_s = 1.5  # batches take a while: kills land while polling too
        create = OPENAI_BATCHES if api == "openai" else ANTHROPIC_BATCHES
        # a create takes 0.4 s at the server, so a kill can cut one off on the wire
        srv.add_fault("hang", path=create, when=lambda b: b is not None, seconds=0.4)
        if api == "openai":
            srv.add_fault("hang", path=OPENAI_FILES, seconds=0.2)
        root = make(tmp_path, {"m": model(api, srv, batch=True, batch_size=PER_BATCH)}, N)
        folder = run_dir(root, "k") / "batches"

        def creating() -> bool:
            return "creating" in _phases(folder)

        def claimed() -> bool:
            return bool(_phases(folder))

        def submitted() -> bool:
            return "submitted" in _phases(folder)

        def journaling() -> bool:
            return len(journal(root, "k")) > 0

        moments: list[tuple[Callable[[], bool], float]] = [
            (creating, 0.1),  # the create is on the wire: the batch exists, its id unknown
            (claimed, rng.uniform(0, 0.5)),  # anywhere in the submission
            (creating, rng.uniform(0, 0.3)),
            (submitted, rng.uniform(0, 0.5)),  # polling
            (submitted, rng.uniform(0, 1.5)),
            (journaling, rng.uniform(0, 0.05)),  # collecting and journaling
        ]
        kills = 0
        for i, (ready, extra) in enumerate(moments):
            args = ("--run-id", "k") if i == 0 else ("--resume", "k")
            proc = start(root, "run", *args, "--no-report", "--quiet")
            kills += _kill_when(proc, ready, extra)
        final = cli(root, "run", "--resume", "k", "--no-report", "--json", timeout=300)
        assert final.returncode == 0, final.stdout[-2000:] + final.stderr[-3000:]

        assert kills >= 4
        lines = journal(root, "k")
        per_case = Counter(ln["case_id"] for ln in lines)
        assert len(per_case) == N and set(per_case.values()) == {1}  # every case once
        assert all(ln["status"] == "pass" for ln in lines)
        processed = srv.batches.processed
        assert len(processed) == N and set(processed.values()) == {1}  # answered once each
        states = summarize(folder)
        recorded = {s.batch_id for s in states if s.batch_id}
        assert recorded == set(srv.batches.items)  # every batch at the provider is ours
        assert srv.batches.creates == len(recorded)  # 0 resubmissions
        assert all(s.phase in ("collected", "abandoned") for s in states)
        assert sum(s.requests for s in states if s.phase == "collected") == N
        print(f"{api}: {kills} kills, {len(recorded)} batches created once each, "
              f"{sum(s.phase == 'abandoned' for s in states)} abandoned before reaching "
              f"the provider, sizes {[s.requests for s in states]}")  # fmt: skip
