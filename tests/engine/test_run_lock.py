"""The run folder's lock: one process per run; released when the holder dies."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from llmeval.errors import UsageError
from llmeval.store.lock import LOCK_FILE, run_lock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from llmeval.store.lock import run_lock
    with run_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(60)
    """
)


def _hold(run_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(run_dir)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_holder_is_refused_naming_the_run_and_pid(tmp_path: Path) -> None:
    run_dir = tmp_path / "runs" / "r42"
    proc = _hold(run_dir)
    try:
        with pytest.raises(UsageError) as info, run_lock(run_dir):
            pass
        assert "run 'r42' is in use" in str(info.value) and f"pid {proc.pid}" in str(info.value)
        assert info.value.exit_code == 4
    finally:
        proc.kill()
        proc.wait()
    # kill -9 leaves no stale lock
    with run_lock(run_dir):
        assert (run_dir / LOCK_FILE).exists()


def test_sequential_holders_and_no_trace_in_an_unused_folder(tmp_path: Path) -> None:
    run_dir = tmp_path / "fresh"
    with run_lock(run_dir):
        pass
    assert not run_dir.exists()  # nothing was written: nothing left behind
    run_dir.mkdir()
    (run_dir / "results.jsonl").write_text("")
    for _ in range(2):
        with run_lock(run_dir):
            pass
    assert (run_dir / LOCK_FILE).exists()


def test_the_lock_is_held_for_the_whole_block(tmp_path: Path) -> None:
    run_dir = tmp_path / "r"
    with run_lock(run_dir):
        (run_dir / "results.jsonl").write_text("")
        probe = subprocess.run(
            [sys.executable, "-c", HOLDER, str(run_dir)], capture_output=True, text=True, timeout=30
        )
        assert probe.returncode != 0 and "is in use" in probe.stderr
    start = time.monotonic()
    proc = _hold(run_dir)  # free again once the block is left
    proc.kill()
    proc.wait()
    assert time.monotonic() - start < 30
