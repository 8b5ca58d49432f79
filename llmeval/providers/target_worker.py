"""The python-target worker process: ``python -m llmeval.providers.target_worker PPID ROOT``.

Started by ``providers.target_pool`` with a key-less environment (``scrubbed_env`` plus
the model's ``pass_env`` names). Before any user code runs it asks to die with its
parent (``PR_SET_PDEATHSIG``), gives up ``CAP_SYS_PTRACE`` and moves fd 1 to stderr,
keeping a private copy of stdout for the protocol (``metrics.pyworker``'s pieces): a
target's ``print`` lands on stderr, never in a reply.

Protocol: one JSON object per line each way, matched by ``id``; many calls are in
flight at once.

- ``{"op": "load", "target"}``: import the target and check its signature here
  (``load_callable``, ``call_problem``, ``def_location``); the reply carries a
  ``ConfigError``'s message and file:line, so ``validate`` reports what it always did.
- ``{"op": "call", "target", "traces", "payload"}``: ``payload`` is
  ``python.call_payload`` (JSON of the request); ``_arguments`` builds the call from it.
  Async targets run on this process's event loop, sync ones each in a daemon thread
  (``_in_daemon_thread``), so a slow target does not hold up the others. The reply is
  the raw return value (ensure_ascii JSON: lone surrogates survive as escapes), the
  latency of the call alone and, when ``traced``, the steps of the spans the call
  emitted inside its own ``case_scope`` (``Step.to_json``).
- ``{"op": "tools", "file", "tools": {name: parameters}}``: import a ``tools_impl``
  file and check each tool's signature (``engine.toolbox.signature_problem``).
- ``{"op": "tool", "file", "name", "arguments"}``: a ``tools_impl`` function, called
  like a target; the reply is its raw return value.
- ``{"op": "embed", "target", "texts"}``: a python embedding function, ``fn(texts)``
  (loaded without the target signature check: it takes one list).
- ``{"op": "cancel", "of"}``: the parent gave up on a call (its timeout): an async one
  is cancelled; a sync thread cannot be stopped and its late answer is dropped.

Module state lives as long as the worker: every call of a worker sees the same module.
End of stdin (the parent closed it or died) ends the process at once.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.errors import ConfigError, SecurityError
from llmeval.providers.python import (
    _arguments,
    _in_daemon_thread,
    call_problem,
    def_location,
    load_callable,
    traced,
)

_PACKAGE = str(Path(__file__).resolve().parent.parent)


def _frames(e: BaseException) -> list[tuple[str, int, str, str]]:
    """The traceback's frames outside llmeval (the user's code), for the parent."""
    tb = traceback.extract_tb(e.__traceback__)
    mine = [f for f in tb if not f.filename.startswith(_PACKAGE)] or list(tb)
    return [(f.filename, f.lineno or 0, f.name, f.line or "") for f in mine]


def _failure(e: BaseException) -> dict[str, Any]:
    kind = type(e)
    return {
        "type": kind.__qualname__,
        "module": kind.__module__,
        "message": str(e),
        "frames": _frames(e),
    }


def _stamp(path: str | None) -> int:
    if path is None:
        return 0
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


class Worker:
    def __init__(self, root: Path, channel: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.root = root
        self.channel = channel
        self.loop = loop
        self.write_lock = threading.Lock()
        self.fns: dict[tuple[str, bool], tuple[str | None, int, Callable[..., Any]]] = {}
        self.tasks: dict[int, asyncio.Task[Any]] = {}

    def send(self, reply: dict[str, Any]) -> None:
        try:
            text = json.dumps(reply)
        except (TypeError, ValueError):  # a value JSON cannot hold as is: its str() then
            try:
                text = json.dumps(reply, default=str)
            except (TypeError, ValueError) as e:  # circular
                text = json.dumps({"id": reply["id"], "ok": False, "error": _failure(e)})
        with self.write_lock:
            self.channel.write(text + "\n")
            self.channel.flush()

    def callable(self, target: str, *, check: bool) -> Callable[..., Any]:
        """The loaded (and, with ``check``, checked) callable; a file edited since is
        loaded again. Cached on the file's mtime: ``load_callable`` resolves paths
        and costs ~0.3 ms, more than the rest of a call."""
        hit = self.fns.get((target, check))
        if hit is not None and (hit[0] is None or _stamp(hit[0]) == hit[1]):
            return hit[2]
        fn = load_callable(target, self.root)
        if check:
            spec = ModelSpec(alias="target", provider="python", model=target)
            problem = call_problem(fn, spec)  # one rule: what `_arguments` would pass
            if problem is not None:
                where = def_location(fn, self.root)
                raise ConfigError(f"python target '{target}': {problem}", where)
        file, _, _ = target.rpartition(":")
        path = str(self.root / file) if file.endswith(".py") or "/" in file else None
        self.fns[(target, check)] = (path, _stamp(path), fn)
        return fn

    def check_tools(self, file: str, tools: dict[str, Any]) -> None:
        """ConfigError (at the function's def) for the first tool llmeval cannot call."""
        from llmeval.domain.location import Location
        from llmeval.domain.tools import ToolSpec
        from llmeval.engine.toolbox import signature_problem  # the one rule, run here

        for name, (parameters, line) in tools.items():
            fn = self.callable(f"{file}:{name}", check=False)
            problem = signature_problem(fn, ToolSpec(name=name, parameters=parameters))
            if problem is not None:
                where = def_location(fn, self.root) or Location(file, line, 1)
                raise ConfigError(f"tool '{name}': {problem}", where)

    def dispatch(self, req: dict[str, Any]) -> None:
        op, rid = req.get("op"), req.get("id")
        if op == "cancel":
            self.loop.call_soon_threadsafe(self._cancel, req.get("of"))
            return
        try:
            if op == "tools":
                self.check_tools(req["file"], req["tools"])
                self.send({"id": rid, "ok": True})
                return
            if op == "tool":
                fn = self.callable(f"{req['file']}:{req['name']}", check=False)
            else:
                check = op != "embed" and req.get("check") is not False
                fn = self.callable(req["target"], check=check)
        except ConfigError as e:
            where = e.location
            self.send(
                {
                    "id": rid,
                    "ok": False,
                    "config": {
                        "message": e.message,
                        "security": isinstance(e, SecurityError),
                        "location": None if where is None else [where.file, where.line, where.col],
                    },
                }
            )
            return
        if op == "load":
            self.send({"id": rid, "ok": True})
            return
        self.loop.call_soon_threadsafe(self._start, req, fn)

    def _start(self, req: dict[str, Any], fn: Callable[..., Any]) -> None:
        task = self.loop.create_task(self._run(req, fn))
        self.tasks[req["id"]] = task
        task.add_done_callback(lambda _: self.tasks.pop(req["id"], None))

    def _cancel(self, rid: Any) -> None:
        task = self.tasks.get(rid)
        if task is not None:
            task.cancel()

    async def _invoke(
        self, fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]
    ) -> tuple[Any, float]:
        if inspect.iscoroutinefunction(fn):
            start = self.loop.time()
            value = await fn(*args, **kwargs)
            return value, (self.loop.time() - start) * 1000.0
        return await _in_daemon_thread(fn, *args, **kwargs)  # type: ignore[no-any-return]

    async def _run(self, req: dict[str, Any], fn: Callable[..., Any]) -> None:
        rid = req["id"]
        steps: list[dict[str, Any]] = []
        try:
            if req["op"] == "tool":
                value, ms = await self._invoke(fn, [], req["arguments"])
            elif req["op"] == "embed":
                value, ms = await self._invoke(fn, [req["texts"]], {})
            else:
                args, kwargs = _arguments(fn, req["payload"])
                if traced(req.get("traces")):
                    from llmeval.traces.capture import case_scope

                    with case_scope() as captured:
                        value, ms = await self._invoke(fn, args, kwargs)
                    steps = [s.to_json() for s in captured.steps]
                else:
                    value, ms = await self._invoke(fn, args, kwargs)
        except asyncio.CancelledError as e:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                return  # the parent gave up on it: nobody waits for a reply
            self.send({"id": rid, "ok": False, "error": _failure(e)})  # the target's own
            return
        except BaseException as e:  # a target's SystemExit is its error, not ours
            self.send({"id": rid, "ok": False, "error": _failure(e)})
            return
        if req["op"] == "call" and not isinstance(value, str | dict):
            self.send({"id": rid, "ok": True, "wrong_type": type(value).__name__})
            return
        self.send({"id": rid, "ok": True, "value": value, "latency_ms": ms, "steps": steps})


def main(argv: list[str]) -> None:
    from llmeval.metrics.pyworker import die_with_parent, drop_ptrace, protocol_channel

    die_with_parent(int(argv[1]), signal.SIGKILL)
    drop_ptrace()
    channel = protocol_channel()
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="llmeval-target-loop", daemon=True).start()
    worker = Worker(Path(argv[2]), channel, loop)
    for line in sys.stdin:
        if line.strip():
            worker.dispatch(json.loads(line))
    os._exit(0)  # the parent is gone: threads of hung targets must not keep us alive


if __name__ == "__main__":
    main(sys.argv)
