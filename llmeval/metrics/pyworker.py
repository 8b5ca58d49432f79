"""The python-scorer worker process: ``python -m llmeval.metrics.pyworker``.

Reads one JSON request per line on stdin, calls ``function(output, context)`` from the
named file, writes one JSON response per line. The protocol has its own copy of the
original stdout; fd 1 is pointed at stderr so a scorer's ``print`` cannot corrupt it.
It imports nothing from llmeval beyond this module, so it starts fast and stays small.

Before any user code runs, the worker gives up ``CAP_SYS_PTRACE`` (when it has it, i.e.
as root), so not even a root scorer can read the parent's memory through
``/proc/<ppid>/mem``; its environment was already cleaned by the parent, and the
parent's own ``/proc/<ppid>/environ`` was sealed (``providers.environ``).
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

_modules: dict[tuple[str, int], Any] = {}


def _load(path: str, function: str) -> Callable[..., Any]:
    key = (path, os.stat(path).st_mtime_ns)  # a scorer edited mid-run is reloaded
    module = _modules.get(key)
    if module is None:
        name = f"llmeval_scorer_{abs(hash(path))}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)  # so the scorer can import its siblings
        spec.loader.exec_module(module)
        _modules[key] = module
    fn = getattr(module, function, None)
    if not callable(fn):
        raise AttributeError(f"{os.path.basename(path)} has no function '{function}'")
    return fn  # type: ignore[no-any-return]


def _takes_two(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def _call(req: dict[str, Any]) -> Any:
    fn = _load(req["file"], req["function"])
    args = (req["output"], req["context"]) if _takes_two(fn) else (req["output"],)
    result = fn(*args)
    if inspect.isawaitable(result):
        result = asyncio.run(_await(result))
    return result


async def _await(aw: Any) -> Any:
    return await aw


_CAP_SYS_PTRACE = 19
_PR_CAPBSET_DROP = 24


def drop_ptrace() -> None:
    """Remove CAP_SYS_PTRACE from the bounding, permitted and effective sets (Linux)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [
            ("effective", ctypes.c_uint32),
            ("permitted", ctypes.c_uint32),
            ("inheritable", ctypes.c_uint32),
        ]

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_CAPBSET_DROP, _CAP_SYS_PTRACE, 0, 0, 0)  # fails harmlessly if not root
        header, data = Header(0x20080522, 0), (Data * 2)()  # _LINUX_CAPABILITY_VERSION_3
        if libc.capget(ctypes.byref(header), data) == 0:
            keep = ~(1 << _CAP_SYS_PTRACE) & 0xFFFFFFFF
            data[0].effective &= keep
            data[0].permitted &= keep
            data[0].inheritable &= keep
            libc.capset(ctypes.byref(header), data)
    except (OSError, AttributeError):
        pass


def protocol_channel() -> Any:
    """The protocol's own copy of stdout; fd 1 (and ``sys.stdout``) then point at
    stderr, so user code's ``print`` -- or a C library writing to fd 1 -- cannot
    corrupt the JSON lines."""
    channel = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return channel


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: int) -> None:
    """Receive ``sig`` when the parent dies, even by ``kill -9`` (Linux; elsewhere a
    no-op). The signal follows the *thread* that started this process, so the parent
    starts workers from a thread that lives as long as it does."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, sig)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os.kill(os.getpid(), sig)


def main() -> None:
    drop_ptrace()
    channel = protocol_channel()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            resp: dict[str, Any] = {"id": req["id"], "ok": True, "result": _call(req)}
            text = json.dumps(resp, default=str)
        except BaseException as e:  # a scorer's SystemExit is its error, not ours
            if isinstance(e, KeyboardInterrupt):
                raise
            tb = traceback.format_exc(limit=-8)
            resp = {"id": req.get("id"), "ok": False, "error": f"{type(e).__name__}: {e}", "tb": tb}
            text = json.dumps(resp, default=str)
        channel.write(text + "\n")
        channel.flush()


if __name__ == "__main__":
    main()
