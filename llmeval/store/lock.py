"""A lock on a run folder: one llmeval process at a time writes a run.

``run_lock(run_dir)`` holds an exclusive ``flock`` on ``<run_dir>/.lock`` for as long as
the ``with`` block runs. The kernel drops the lock when the holder's file is closed,
including when the process is killed (``kill -9`` leaves no stale lock to clean up),
so "in use" always means a live process. A second ``llmeval run --resume RUN`` while
the first still runs gets a ``UsageError`` (exit 4) naming the run and the holder's pid.
Where ``fcntl`` does not exist (Windows) the lock is a no-op.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from llmeval.errors import UsageError

LOCK_FILE = ".lock"


def _holder(fd: int) -> str:
    with contextlib.suppress(OSError, ValueError):
        pid = int(os.pread(fd, 32, 0).decode("ascii").strip() or "0")
        if pid > 0:
            return f" (pid {pid})"
    return ""


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run folder's lock; ``UsageError`` at once if another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    created = not run_dir.exists()
    new_dirs = []  # the folders this lock creates, innermost first: removed if left empty
    d = run_dir
    while not d.exists():
        new_dirs.append(d)
        d = d.parent
    run_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"run '{run_dir.name}' is in use by another llmeval process{_holder(fd)}; "
                f"wait for it to finish (or stop it), then --resume {run_dir.name}"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        yield
    finally:
        if created and [p.name for p in run_dir.iterdir()] == [LOCK_FILE]:
            # nothing was run (empty plan, error before the first call): leave no folder
            with contextlib.suppress(OSError):
                (run_dir / LOCK_FILE).unlink()
                for folder in new_dirs:
                    folder.rmdir()  # OSError (not empty) stops it: suppressed
        os.close(fd)  # releases the flock
