"""Python scorers' worker processes: a pool, each worker without provider keys.

A worker (``python -m llmeval.metrics.pyworker``) is persistent and serves one call
at a time, with a timeout; a crash or a timeout kills it and the next call starts a
fresh one. The pool starts workers lazily, up to ``pool_size()`` (the machine's
cores, or what ``set_pool_size`` says), so a run at ``-j 1`` never has more than one
scorer in flight and one worker, and a run at ``-j 8`` on 4 cores at most four.

The environment of every worker is ``providers.environ.child_environ()``: no
variable with a key-like name or a secret value.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import weakref
from pathlib import Path
from typing import Any

from llmeval.errors import ScorerError
from llmeval.providers.environ import child_environ

_size: int | None = None


def set_pool_size(n: int | None) -> None:
    """At most ``n`` scorer workers per project (None: one per core)."""
    global _size
    _size = max(1, int(n)) if n is not None else None


def pool_size() -> int:
    return _size or max(1, os.cpu_count() or 1)


def scrubbed_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """A worker's environment: ``env`` (default ours) without secrets, and a
    PYTHONPATH that finds this llmeval even from an uninstalled checkout."""
    clean = child_environ(env)
    pkg_parent = str(Path(__file__).resolve().parents[2])
    clean["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, clean.get("PYTHONPATH")) if p)
    return clean


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL a worker started with ``start_new_session`` and whatever it started."""
    try:
        if os.name == "posix":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError, OSError):
        pass


class ScorerWorker:
    """One persistent worker process; calls are serialised and each has a timeout."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        self._seq = 0

    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "llmeval.metrics.pyworker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=self.root,
                env=scrubbed_env(),
                start_new_session=os.name == "posix",  # so a kill takes its children too
            )
        return self._proc

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None and self._proc.poll() is None else None

    def _kill(self, proc: subprocess.Popen[bytes]) -> None:
        kill_group(proc)

    def reset(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            self._kill(proc)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
            for f in (proc.stdin, proc.stdout):
                if f is not None:
                    f.close()

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Blocking: send one request, wait up to ``timeout`` s; ScorerError if none came."""
        with self._lock:
            proc = self._ensure()
            self._seq += 1
            line = (json.dumps({**request, "id": self._seq}, default=str) + "\n").encode()
            expired = threading.Event()

            def expire() -> None:
                expired.set()
                self._kill(proc)

            timer = threading.Timer(timeout, expire)
            timer.daemon = True
            timer.start()
            try:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(line)
                proc.stdin.flush()
                raw = proc.stdout.readline()
            except OSError:
                raw = b""
            finally:
                timer.cancel()
            complete = raw.endswith(b"\n")
            if expired.is_set() or not complete:
                code = proc.poll()
                self.reset()  # killed, dead or half-written: start afresh next time
                if not complete:
                    if expired.is_set():
                        raise ScorerError(f"timed out after {timeout:g}s")
                    raise ScorerError(f"scorer process exited (code {code})")
            try:
                return json.loads(raw)  # type: ignore[no-any-return]
            except ValueError:
                raise ScorerError("unreadable reply from the scorer process") from None

    def close(self) -> None:
        with self._lock:
            self.reset()


class WorkerPool:
    """The workers of one project root; each call borrows an idle one (or starts one)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.workers: list[ScorerWorker] = []
        self._idle: list[ScorerWorker] = []
        self._lock = threading.Lock()

    def borrow(self) -> ScorerWorker:
        with self._lock:
            if self._idle:
                return self._idle.pop()  # the most recently used: warm imports
            worker = ScorerWorker(self.root)
            self.workers.append(worker)
            return worker

    def give_back(self, worker: ScorerWorker) -> None:
        with self._lock:
            self._idle.append(worker)

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        worker = self.borrow()
        try:
            return worker.call(request, timeout)
        finally:
            self.give_back(worker)

    def pids(self) -> list[int]:
        return [p for p in (w.pid for w in self.workers) if p is not None]

    def close(self) -> None:
        with self._lock:
            workers, self.workers, self._idle = self.workers, [], []
        for w in workers:
            w.close()


_pools: dict[Path, WorkerPool] = {}
_pools_lock = threading.Lock()
# per event loop: how many calls may be in flight (waiting in line does not eat the timeout)
_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def pool_for(root: Path) -> WorkerPool:
    with _pools_lock:
        pool = _pools.get(root)
        if pool is None:
            pool = _pools[root] = WorkerPool(root)
        return pool


@atexit.register
def shutdown_workers() -> None:
    # no waiting on a call in flight: killing the process ends it (its reader sees EOF)
    with _pools_lock:
        for pool in _pools.values():
            for w in pool.workers:
                proc = w._proc
                if proc is not None:
                    w._kill(proc)


async def run_scorer(root: Path, request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Wait for a free slot on this event loop, then run the blocking call in a thread."""
    loop = asyncio.get_running_loop()
    slots = _slots.get(loop)
    if slots is None:
        slots = _slots[loop] = asyncio.Semaphore(pool_size())
    async with slots:
        return await asyncio.to_thread(pool_for(root).call, request, timeout)
