"""Python targets and tools run in worker processes without provider keys.

One pool per (project root, ``pass_env``); each worker is a persistent
``python -m llmeval.providers.target_worker`` (see there for the protocol) whose
environment is ``metrics.pool.scrubbed_env()`` plus the variables the model lists in
``pass_env``. Calls are multiplexed: many in flight per worker, matched by id. A call
goes to the least-busy worker; a new worker starts only while every worker is busy,
up to ``metrics.pool.pool_size()`` (the cores), so CPU-bound targets use the cores and
a run at ``-j 1`` has one worker whose module state every call sees.

Failure rules:
- a call the caller stops waiting for (the case timeout cancels it) is forgotten and
  the worker told; a late reply is dropped;
- a worker that dies (``os._exit``, a segfault, killed) fails its calls in flight with
  a ``TargetDied`` (error kind ``target``: the user's code, so the verdict, not
  "incomplete") naming the exit code -- each case's error -- and the next call
  starts a fresh worker;
- workers run in their own session, get SIGKILL when llmeval dies (even by
  ``kill -9``: ``PR_SET_PDEATHSIG``, and end of stdin) and are killed at exit.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures as cf
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from llmeval.domain.location import Location
from llmeval.errors import ConfigError, ProviderError, SecurityError

LOAD_TIMEOUT_S = 120.0  # importing the user's module (it may load a model)
# Popen from one long-lived thread: PR_SET_PDEATHSIG fires when the *thread* that
# started the worker ends, and callers may be short-lived threads (asyncio.to_thread)
_spawner = cf.ThreadPoolExecutor(1, thread_name_prefix="llmeval-target-spawn")


class TargetDied(ProviderError):
    """The worker running this call ended under it: the target's own failure (it
    called ``os._exit``, crashed the interpreter, was killed), not the provider's."""

    kind = "target"


class TargetException(Exception):
    """An exception the user's code raised in the worker, rebuilt under its own name;
    ``remote_frames`` are its traceback's frames (``engine.tracebacks`` reads them)."""

    def __init__(self, message: str, frames: list[tuple[str, int, str, str]]) -> None:
        super().__init__(message)
        self.remote_frames = frames


_classes: dict[tuple[str, str], type[TargetException]] = {}


def _raised(failure: dict[str, Any]) -> TargetException:
    key = (str(failure.get("module")), str(failure.get("type")))
    cls = _classes.get(key)
    if cls is None:
        cls = _classes[key] = type(key[1], (TargetException,), {"__module__": key[0]})
    frames = [(str(a), int(b), str(c), str(d)) for a, b, c, d in failure.get("frames") or ()]
    return cls(str(failure.get("message", "")), frames)


def _config_error(info: dict[str, Any]) -> ConfigError:
    loc = info.get("location")
    where = Location(str(loc[0]), int(loc[1]), int(loc[2])) if loc else None
    cls = SecurityError if info.get("security") else ConfigError
    return cls(str(info.get("message")), where)


def _exit_text(code: int | None) -> str:
    if code is not None and code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


class TargetProcess:
    """One worker: a writer (any thread, under a lock) and a reader thread that settles
    the pending futures by id."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        argv = [
            sys.executable,
            "-m",
            "llmeval.providers.target_worker",
            str(os.getpid()),
            str(root),
        ]
        self.proc: subprocess.Popen[bytes] = _spawner.submit(
            subprocess.Popen,
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # a target's print and warnings reach the user's terminal
            cwd=root,
            env=env,
            start_new_session=os.name == "posix",  # so a kill takes its children too
        ).result()
        self.pending: dict[int, cf.Future[dict[str, Any]]] = {}
        self.lock = threading.Lock()
        self.seq = 0
        self.dead: str | None = None
        threading.Thread(target=self._read, name="llmeval-target-reader", daemon=True).start()

    @property
    def busy(self) -> int:
        return len(self.pending)

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                reply = json.loads(line)
            except ValueError:
                continue  # not ours: fd 1 is stderr in the worker, so this cannot happen
            with self.lock:
                fut = self.pending.pop(reply.get("id"), None)
            if fut is not None:
                with contextlib.suppress(cf.InvalidStateError):
                    fut.set_result(reply)
        code = self.proc.wait()
        with self.lock:
            self.dead = f"the python target process ended ({_exit_text(code)})"
            pending, self.pending = self.pending, {}
        for fut in pending.values():
            with contextlib.suppress(cf.InvalidStateError):
                fut.set_exception(TargetDied(f"{self.dead} while running this call"))

    def _write(self, req: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(req, default=str) + "\n").encode())
        self.proc.stdin.flush()

    def submit(self, req: dict[str, Any]) -> cf.Future[dict[str, Any]]:
        fut: cf.Future[dict[str, Any]] = cf.Future()
        with self.lock:
            if self.dead is not None:
                raise TargetDied(self.dead)
            self.seq += 1
            rid = self.seq
            self.pending[rid] = fut
            # OSError: the worker is dying; its reader fails the pending calls
            with contextlib.suppress(OSError):
                self._write({**req, "id": rid})

        def forget(f: cf.Future[dict[str, Any]]) -> None:
            if f.cancelled():
                self._forget(rid)

        fut.add_done_callback(forget)
        return fut

    def _forget(self, rid: int) -> None:
        with self.lock:
            self.pending.pop(rid, None)
            if self.dead is None:
                with contextlib.suppress(OSError):
                    self._write({"op": "cancel", "of": rid, "id": 0})

    def kill(self) -> None:
        from llmeval.metrics.pool import kill_group

        kill_group(self.proc)


class TargetPool:
    def __init__(self, root: Path, pass_env: tuple[str, ...]) -> None:
        self.root = root
        self.pass_env = pass_env
        self.workers: list[TargetProcess] = []
        self.lock = threading.Lock()
        self.users = 0

    def acquire(self) -> None:
        with self.lock:
            self.users += 1

    def release(self) -> None:
        """One provider less; the last one's release ends the workers (a notebook or a
        test session that runs many projects does not keep idle workers of each)."""
        with self.lock:
            self.users = max(0, self.users - 1)
            last = self.users == 0
        if last:
            self.close()

    def _env(self) -> dict[str, str]:
        from llmeval.metrics.pool import scrubbed_env

        env = scrubbed_env()
        env.update({n: os.environ[n] for n in self.pass_env if n in os.environ})
        return env

    def pick(self) -> TargetProcess:
        from llmeval.metrics.pool import pool_size

        with self.lock:
            self.workers = [w for w in self.workers if w.dead is None]
            idle = min(self.workers, key=lambda w: w.busy, default=None)
            if idle is None or (idle.busy > 0 and len(self.workers) < pool_size()):
                idle = TargetProcess(self.root, self._env())
                self.workers.append(idle)
            return idle

    def submit(self, req: dict[str, Any]) -> cf.Future[dict[str, Any]]:
        try:
            return self.pick().submit(req)
        except ProviderError:  # died between pick and submit: once more, on a fresh one
            return self.pick().submit(req)

    @staticmethod
    def _settle(reply: dict[str, Any]) -> dict[str, Any]:
        if reply.get("ok"):
            return reply
        if reply.get("config"):
            raise _config_error(reply["config"])
        raise _raised(reply.get("error") or {})

    def load(self, target: str, *, check: bool = True) -> None:
        """Import ``target`` in a worker (blocking) and, with ``check``, check that
        llmeval can call it as a target; its ConfigError here."""
        fut = self.submit({"op": "load", "target": target, "check": check})
        try:
            self._settle(fut.result(timeout=LOAD_TIMEOUT_S))
        except cf.TimeoutError:
            fut.cancel()
            raise ConfigError(
                f"python target '{target}' did not finish importing in {LOAD_TIMEOUT_S:g} s"
            ) from None
        except ProviderError as e:  # the import killed the worker
            raise ConfigError(f"python target '{target}' failed to import: {e}") from None

    def load_tools(self, file: str, tools: dict[str, Any]) -> None:
        """Import a ``tools_impl`` file and check its tools in a worker (blocking)."""
        fut = self.submit({"op": "tools", "file": file, "tools": tools})
        try:
            self._settle(fut.result(timeout=LOAD_TIMEOUT_S))
        except cf.TimeoutError:
            fut.cancel()
            raise ConfigError(f"tools_impl '{file}' did not finish importing") from None
        except ProviderError as e:
            raise ConfigError(f"tools_impl '{file}' failed to import: {e}") from None

    async def call(self, req: dict[str, Any]) -> dict[str, Any]:
        """One call; cancelling the awaiting task abandons it in the worker."""
        fut = self.submit(req)
        return self._settle(await asyncio.wrap_future(fut))

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers if w.dead is None]

    def close(self) -> None:
        with self.lock:
            workers, self.workers = self.workers, []
        for w in workers:
            w.kill()


_pools: dict[tuple[Path, tuple[str, ...]], TargetPool] = {}
_pools_lock = threading.Lock()


def pool_for(root: Path, pass_env: tuple[str, ...] = ()) -> TargetPool:
    key = (root, tuple(sorted(pass_env)))
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = TargetPool(root, key[1])
        return pool


@atexit.register
def shutdown_targets() -> None:
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()
