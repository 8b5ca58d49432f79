"""``python``: a team's own scorer, ``file.py:function`` under the project root.

The function gets ``(output, context)`` and returns a bool, a number (a score) or a
dict ``{pass, score, reason}`` — read as promptfoo reads them. ``context`` carries
promptfoo's keys (``prompt``: the rendered prompt text, ``vars``, ``test``:
``{vars, description, id, tags}``) next to llmeval's own. A dict's ``namedScores``
(``{name: score}``) and ``componentResults`` (a list of ``{pass, score, reason}``,
each named by its ``assertion.metric`` / ``metric``) are kept as named metrics in the
result's ``details["named_scores"]``.

Scores outside [0, 1]: pass/fail is decided on the raw score (promptfoo's rule:
``score >= threshold``, else ``score > 0``); the recorded score, which enters weighted
means, is the raw one brought into [0, 1] (above 1 counts as 1, below 0 as 0), the
reason says so, and ``details["raw_score"]`` keeps the raw value. It runs in a separate,
persistent worker process (``metrics.pyworker``) whose environment has no provider
keys, with a timeout; a crash or a timeout is that case's error, never the run's,
and the worker is restarted on the next call.
"""

from __future__ import annotations

import ast
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

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError, ScorerError
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.registry import register
from llmeval.metrics.scorer_result import interpret
from llmeval.metrics.values import check_options

DEFAULT_FUNCTION = "get_assert"  # promptfoo's default for a bare file://scorer.py
_SECRET_NAMES = {"OPENAI_API_KEY", "ANTHROPIC_API_KEY"}
_SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET", "_SECRET_KEY", "_ACCESS_KEY", "_PASSWORD")


def scrubbed_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment minus anything that looks like a credential."""
    src = dict(os.environ if env is None else env)
    clean = {
        k: v
        for k, v in src.items()
        if k.upper() not in _SECRET_NAMES and not k.upper().endswith(_SECRET_SUFFIXES)
    }
    # the worker must import llmeval even from an uninstalled checkout
    pkg_parent = str(Path(__file__).resolve().parents[2])
    clean["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_parent, clean.get("PYTHONPATH")) if p)
    return clean


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
        try:
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        except (ProcessLookupError, PermissionError, OSError):
            pass

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


_workers: dict[Path, ScorerWorker] = {}
_workers_lock = threading.Lock()
_loop_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def worker_for(root: Path) -> ScorerWorker:
    with _workers_lock:
        w = _workers.get(root)
        if w is None:
            w = _workers[root] = ScorerWorker(root)
        return w


@atexit.register
def shutdown_workers() -> None:
    # no waiting on a call in flight: killing the process ends it (its reader sees EOF)
    with _workers_lock:
        for w in _workers.values():
            proc = w._proc
            if proc is not None:
                w._kill(proc)


async def run_scorer(root: Path, request: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Queue on this event loop, then run the blocking call in a thread."""
    loop = asyncio.get_running_loop()
    lock = _loop_locks.get(loop)
    if lock is None:
        lock = _loop_locks[loop] = asyncio.Lock()
    async with lock:  # one call in flight: waiting in line does not eat the timeout
        return await asyncio.to_thread(worker_for(root).call, request, timeout)


def resolve_target(value: Any, root: Path, suite_dir: Path | None = None) -> tuple[Path, str]:
    """``[file://]path.py[:function]`` -> (absolute path, function), checked now."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("'python' value must be 'file.py:function'")
    target = value.strip().removeprefix("file://")
    file, sep, function = target.rpartition(":")
    if not sep or not file.endswith(".py"):
        file, function = target, DEFAULT_FUNCTION
    if not file.endswith(".py"):
        raise ConfigError(f"'python' value '{value}' must name a .py file (inline code is not run)")
    if not function.isidentifier():
        raise ConfigError(f"'{function}' is not a valid function name")
    from llmeval.files import find_in_project  # the suite's folder, then the root

    path = find_in_project(file, what="python scorer", root=root, suite_dir=suite_dir)
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as e:
        raise ConfigError(f"python scorer '{file}' line {e.lineno}: {e.msg}") from None
    if function not in _top_level_names(tree):
        raise ConfigError(f"python scorer '{file}' defines no function '{function}'")
    return path, function


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def score_context(ctx: ScoreContext, config: Any) -> dict[str, Any]:
    """What the scorer sees: JSON-safe copies, never the engine's objects."""
    prompt = next((m.content for m in reversed(ctx.messages) if m.role == "user"), "")
    test = {
        "vars": dict(ctx.vars),
        "description": ctx.case.description,
        "id": ctx.case.id,
        "tags": list(ctx.case.tags),
    }
    return {
        "prompt": prompt,
        "test": test,
        "vars": dict(ctx.vars),
        "expected": ctx.expected,
        "case_id": ctx.case.id,
        "tags": list(ctx.case.tags),
        "model": ctx.model,
        "messages": [{"role": m.role, "content": m.content} for m in ctx.messages],
        "latency_ms": ctx.latency_ms,
        "cost_usd": ctx.cost_usd,
        "tokens": dict(ctx.tokens),
        "config": config,
    }


@register("python", kind="async", requires_value=True, description="your file.py:function scorer")
def _python(spec: AssertionSpec, build: BuildContext) -> Any:
    opts = check_options(spec, "timeout_s", "config")
    timeout = opts.get("timeout_s", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("option 'timeout_s' must be a positive number of seconds")
    path, function = resolve_target(spec.value, build.root, build.suite_dir)
    root, config, label = build.root.resolve(), opts.get("config"), f"{spec.value}"

    async def fn(ctx: ScoreContext, services: Services) -> Score:
        request = {
            "file": str(path),
            "function": function,
            "output": ctx.output,
            "context": score_context(ctx, config),
        }
        try:
            resp = await run_scorer(root, request, float(timeout))
        except ScorerError as e:
            return Score(passed=None, error=f"python scorer {label}: {e}")
        if not resp.get("ok"):
            return Score(
                passed=None,
                error=f"python scorer {label} raised {resp.get('error')}",
                details={"traceback": resp.get("tb", "")},
            )
        return interpret(resp.get("result"), spec.threshold)

    return fn
