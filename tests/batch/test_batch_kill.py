"""kill -9 of a batch run during submission and during polling, then resume: every
request is processed exactly once, no batch is created twice (0 resubmissions)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakeserver import ANTHROPIC_BATCHES, OPENAI_BATCHES, OPENAI_FILES, FakeLLMServer

from llmeval.providers.batch import summarize

CHILD = Path(__file__).with_name("batch_child.py")
ROOT = Path(__file__).resolve().parents[2]
N, PER_BATCH = 1000, 300  # four batches: 300, 300, 300, 100


def start(api: str, srv: FakeLLMServer, folder: Path, cache: Path) -> subprocess.Popen[str]:
    base = srv.openai_base_url if api == "openai" else srv.anthropic_base_url
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    return subprocess.Popen(
        [sys.executable, str(CHILD), api, base, str(folder), str(cache), str(N), str(PER_BATCH)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip


def phases(folder: Path) -> list[str]:
    try:
        return [s.phase for s in summarize(folder)]
    except (OSError, ValueError):  # a state being replaced right now
        return []


def kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool], extra_s: float) -> bool:
    """kill -9 once ``ready()`` holds (plus ``extra_s``); False if the child ended first."""
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


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_kill_9_during_submission_and_polling_then_resume(api: str, tmp_path: Path) -> None:
    rng = random.Random(15 if api == "openai" else 16)
    folder, cache = tmp_path / "batches", tmp_path / "cache"
    with FakeLLMServer() as srv:
        srv.batches.delay_s = 1.5  # batches take a while: the kills land while polling too
        create = OPENAI_BATCHES if api == "openai" else ANTHROPIC_BATCHES
        # creates (and uploads) take 0.4 s, so a kill can cut one off on the wire
        srv.add_fault("hang", path=create, when=lambda b: b is not None, seconds=0.4)
        if api == "openai":
            srv.add_fault("hang", path=OPENAI_FILES, seconds=0.2)

        def creating() -> bool:
            return "creating" in phases(folder)

        def uploaded_or_claimed() -> bool:
            return bool(phases(folder))

        def submitted() -> bool:
            return "submitted" in phases(folder)

        moments: list[tuple[Callable[[], bool], float]] = [
            (creating, 0.1),  # the create is on the wire: the batch exists, its id unknown
            (uploaded_or_claimed, rng.uniform(0, 0.5)),  # anywhere in the submission
            (creating, rng.uniform(0, 0.3)),
            (submitted, rng.uniform(0, 0.4)),  # polling
            (submitted, rng.uniform(0, 1.0)),
        ]
        kills = 0
        for ready, extra in moments:
            proc = start(api, srv, folder, cache)
            kills += kill_when(proc, ready, extra)
        final = start(api, srv, folder, cache)
        out, err = final.communicate(timeout=300)
        assert final.returncode == 0, err[-3000:]
        result = json.loads(out.strip().splitlines()[-1])

        assert kills >= 3
        assert result["ok"] == N  # every answer, from the batches or the cache
        processed = srv.batches.processed
        assert len(processed) == N and set(processed.values()) == {1}  # each request once
        assert srv.batches.creates == 4  # one create per batch: 0 resubmissions
        states = summarize(folder)
        assert [s.requests for s in states] == [300, 300, 300, 100]
        assert all(s.phase == "collected" for s in states)
        assert len({s.batch_id for s in states}) == 4
