"""Your own application as the target: a Python callable.

``file.py:function`` (confined to the project root) or ``package.module:function``.
It runs in a key-less worker process, never in llmeval's (``providers.target_pool``,
``providers.target_worker``; the model's ``pass_env`` names what it may see): this
module holds the rules both sides share -- loading and the signature check (run in the
worker), the calling convention (``call_payload`` here, ``_arguments`` there) and the
return-value rules (``_completion``, run here on the raw value the worker sends back).
The callable may be sync (run in a thread of the worker) or async. It receives, by
parameter name, any of ``vars``, ``messages`` (list of {role, content}; in a tool
loop also ``tool_calls`` / ``tool_call_id``), ``prompt`` (the last user message),
``model``, ``params``, ``repeat`` and ``tools`` (the declared tools, OpenAI's shape);
a function with a single other positional parameter gets the prompt text.

promptfoo's provider signature ``call_api(prompt, options, context)`` is accepted
too (a function whose parameters are ``options`` and ``context`` after the prompt):
``options`` is ``{"config": <the model's params>}``, ``context`` is
``{"vars": ..., "prompt": {"raw", "messages"}}``. A signature that can take none of
these is a config error when the target is loaded (so ``validate`` finds it).

It returns a string, or a dict with ``output`` and optional ``tool_calls``
(``[{name, arguments, id?}]``: a python "model" in a tool loop), ``tokens`` /
``input_tokens`` / ``output_tokens`` / ``cost_usd``, or promptfoo's
``tokenUsage {prompt, completion}`` / ``cost``; a promptfoo-style ``error`` is a failed call.
A ``trajectory`` (a list of steps, ``llmeval.traces.steps``) is what the target did.

When the target uses OpenTelemetry (its module imported ``opentelemetry``, or the model
sets ``traces: otel``; ``traces: off`` disables it), each call runs inside a fresh
trace and the spans it emits become the trajectory (``llmeval.traces.capture``),
unless the target returned a ``trajectory`` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib
import importlib.util
import inspect
import sys
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmeval.domain.location import Location
from llmeval.domain.model import ModelSpec
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.domain.tools import ToolCall
from llmeval.errors import BadRequestError, ConfigError, SecurityError
from llmeval.text import repair

_KNOWN = ("vars", "messages", "prompt", "model", "params", "repeat", "tools")


def load_callable(target: str, root: Path) -> Callable[..., Any]:
    """Import ``target``; ConfigError if it cannot be found, SecurityError if outside root."""
    spec, sep, func = target.rpartition(":")
    if not sep or not spec or not func:
        raise ConfigError(f"python target '{target}' must look like 'file.py:function'")
    if spec.endswith(".py") or "/" in spec:
        path = (root / spec).resolve()
        if not path.is_relative_to(root.resolve()):
            raise SecurityError(f"python target '{spec}' is outside the project root")
        if not path.is_file():
            raise ConfigError(f"python target file '{spec}' does not exist")
        name = "llmeval_target_" + "_".join(path.relative_to(root.resolve()).with_suffix("").parts)
        module = sys.modules.get(name)
        # one process may run several projects, or the same app after an edit (the
        # Python API in a notebook): the cached module must be this very file, unchanged
        source = (str(path), path.stat().st_mtime_ns)
        if module is None or getattr(module, "__llmeval_source__", None) != source:
            mspec = importlib.util.spec_from_file_location(name, path)
            assert mspec is not None and mspec.loader is not None
            module = importlib.util.module_from_spec(mspec)
            sys.modules[name] = module
            # the target's own folder first, so it can import its siblings
            sys.path.insert(0, str(path.parent))
            module.__llmeval_source__ = source  # type: ignore[attr-defined]
            try:
                mspec.loader.exec_module(module)
            except SyntaxError as e:
                sys.modules.pop(name, None)
                rel = path.relative_to(root.resolve()).as_posix()
                where = Location(rel, e.lineno or 1, e.offset or 1)
                raise ConfigError(f"syntax error in python target: {e.msg}", where) from None
            except Exception as e:
                sys.modules.pop(name, None)
                raise ConfigError(
                    f"python target '{spec}' failed to import: {type(e).__name__}: {e}"
                ) from None
    else:
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        try:
            module = importlib.import_module(spec)
        except ImportError as e:
            raise ConfigError(f"python target module '{spec}' cannot be imported: {e}") from e
    fn = getattr(module, func, None)
    if not callable(fn):
        raise ConfigError(f"python target '{target}': no callable named '{func}'")
    return fn  # type: ignore[no-any-return]


def _promptfoo_style(fn: Callable[..., Any]) -> bool:
    """``call_api(prompt, options, context)``: three positional parameters, the
    last two named as promptfoo names them."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in positional]
    return len(names) >= 3 and names[1:3] == ["options", "context"]


def def_location(fn: Callable[..., Any], root: Path) -> Location | None:
    """file:line of a function's ``def`` (relative to the root), or None."""
    try:
        file = inspect.getsourcefile(fn)
        _, line = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return None
    if not file:
        return None
    path = Path(file).resolve()
    shown = path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
    return Location(shown, line, 1)


def call_payload(
    request: CompletionRequest, config: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON a target worker gets for one call: everything ``_arguments`` may pass."""
    messages = [m.to_json() for m in request.messages]  # with tool_calls / tool_call_id
    prompt = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    return {
        "vars": dict(request.vars),
        "messages": messages,
        "prompt": prompt,
        "model": request.model.alias,
        "params": dict(request.params),
        "repeat": request.repeat,
        "tools": [t.to_json() for t in request.tools],
        "config": {**(config or {}), **request.params},  # promptfoo's options.config
    }


def _arguments(fn: Callable[..., Any], payload: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """What ``fn`` is called with, from a ``call_payload`` (the one calling convention)."""
    prompt = payload["prompt"]
    if _promptfoo_style(fn):
        options = {"config": payload["config"]}
        context = {
            "vars": payload["vars"],
            "prompt": {"raw": prompt, "messages": payload["messages"]},
        }
        return [prompt, options, context], {}
    params = inspect.signature(fn).parameters
    kwargs = {k: payload[k] for k in _KNOWN if k in params}
    if kwargs or not params:
        return [], kwargs
    return [prompt], {}


def _completion(value: Any, latency_ms: float, target: str) -> Completion:
    """The Completion of a return value (its ``trajectory`` normalised, source target)."""
    completion = _answer(value, latency_ms, target)
    if isinstance(value, dict) and value.get("trajectory") is not None:
        from dataclasses import replace

        from llmeval.traces.steps import steps_from_target

        return replace(completion, trajectory=steps_from_target(value["trajectory"]))
    return completion


def _answer(value: Any, latency_ms: float, target: str) -> Completion:
    # a target's return value enters llmeval here: repaired once (llmeval.text)
    if isinstance(value, str):
        return Completion(
            text=repair(value), model_id=target, finish_reason="stop", latency_ms=latency_ms
        )
    if isinstance(value, dict) and value.get("error") and value.get("output") is None:
        raise BadRequestError(f"python target returned an error: {value['error']}")
    if isinstance(value, dict) and "output" in value:
        tokens = value.get("tokens") or {}
        usage = value.get("tokenUsage")
        if isinstance(usage, dict) and not tokens:  # promptfoo's ProviderResponse
            tokens = {"input": usage.get("prompt"), "output": usage.get("completion")}
        out = value["output"]
        calls = _tool_calls(value.get("tool_calls"))
        finish = value.get("finish_reason", "tool_calls" if calls else "stop")
        return Completion(
            text=repair(str(out)),
            model_id=repair(str(value.get("model", target))),
            finish_reason=None if finish is None else repair(str(finish)),
            input_tokens=int(tokens.get("input", value.get("input_tokens")) or 0),
            output_tokens=int(tokens.get("output", value.get("output_tokens")) or 0),
            cost_usd=value.get("cost_usd", value.get("cost")),
            latency_ms=latency_ms,
            tool_calls=calls,
        )
    raise wrong_type(type(value).__name__)


def wrong_type(name: str) -> BadRequestError:
    return BadRequestError(
        f"python target returned {name}; expected a string or a dict with 'output'"
    )


def _tool_calls(value: Any) -> tuple[ToolCall, ...]:
    """``tool_calls: [{name, arguments (object or JSON text), id?}]`` of a target's answer
    (a python "model" in a tool loop)."""
    if not isinstance(value, list):
        return ()
    calls = []
    for i, c in enumerate(value):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str):
            raise BadRequestError("python target returned a tool call without a 'name'")
        calls.append(
            ToolCall.from_wire(
                repair(c["name"]), c.get("arguments"), str(c.get("id") or f"call_{i}")
            )
        )
    return tuple(calls)


def _in_daemon_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
    """Run a sync target in a daemon thread.

    Not asyncio.to_thread: a target that hangs past the case timeout would keep the
    default executor -- and so the process -- alive at exit. A daemon thread is
    abandoned instead; its late answer is dropped.
    """
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[Any] = loop.create_future()
    # the caller's context variables travel with the call (as asyncio.to_thread does):
    # the current OpenTelemetry span of the case among them
    ctx = contextvars.copy_context()

    def settle(ok: bool, value: Any) -> None:
        if not fut.done():
            fut.set_result(value) if ok else fut.set_exception(value)

    def work() -> None:
        start = time.perf_counter()
        try:
            value = ctx.run(fn, *args, **kwargs)
            # timed here, in the target's own thread: the event loop may be busy elsewhere
            result: tuple[bool, Any] = (True, (value, (time.perf_counter() - start) * 1000.0))
        except BaseException as e:  # handed to the awaiting task
            result = (False, e)
        # RuntimeError: the run is over and its loop closed; nobody is waiting
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, *result)

    threading.Thread(target=work, name="llmeval-target", daemon=True).start()
    return fut


def traced(mode: str | None) -> bool:
    """Capture spans around a call: on request, or when the target uses OTel (asked in
    the process that runs the target, where its imports are)."""
    if mode == "off":
        return False
    return mode == "otel" or "opentelemetry.trace" in sys.modules


class PythonProvider:
    """The target runs in a key-less worker process (``providers.target_pool``); this
    process never imports the user's module. Loading it there at construction keeps
    ``validate``'s file:line errors; each call ships ``call_payload`` and gets back the
    raw return value, which ``_completion`` turns into the Completion here."""

    def __init__(self, spec: ModelSpec, root: Path | None = None) -> None:
        from llmeval.providers.secrets import register_secret_env
        from llmeval.providers.target_pool import pool_for

        self.spec = spec
        for name in spec.pass_env:  # handed to the target, so still redacted everywhere
            register_secret_env(name)
        self.pool = pool_for((root or Path.cwd()).resolve(), spec.pass_env)
        self.pool.acquire()
        # released by aclose (the end of a run) or when dropped (validate's check)
        self._release = weakref.finalize(self, self.pool.release)
        try:
            self.pool.load(spec.model)
        except BaseException:
            self._release()
            raise

    async def aclose(self) -> None:
        self._release()

    async def complete(self, request: CompletionRequest) -> Completion:
        from dataclasses import replace

        from llmeval.domain.trajectory import Step

        reply = await self.pool.call(
            {
                "op": "call",
                "target": self.spec.model,
                "traces": self.spec.traces,
                "payload": call_payload(request, dict(self.spec.params)),
            }
        )
        if "wrong_type" in reply:
            raise wrong_type(reply["wrong_type"])
        completion = _completion(reply["value"], reply["latency_ms"], self.spec.model)
        steps = reply.get("steps") or ()
        if completion.trajectory or not steps:
            return completion  # what the target reported wins over its spans
        return replace(completion, trajectory=tuple(Step.from_json(d) for d in steps))


def call_problem(fn: Callable[..., Any], spec: ModelSpec) -> str | None:
    """Why llmeval's call of ``fn`` would fail to bind, or None.

    Asks ``_arguments`` -- the one owner of the calling convention -- what it would
    pass, then binds that to the signature, so ``validate`` rejects exactly the
    functions a run could not call.
    """
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return None  # a builtin or C callable: nothing to check before calling it
    from llmeval.domain.prompt import Message

    request = CompletionRequest(spec, (Message("user", "?"),), {}, 0, {})
    args, kwargs = _arguments(fn, call_payload(request))
    try:
        sig.bind(*args, **kwargs)
    except TypeError as e:
        passed = ", ".join(kwargs) if kwargs else ("the prompt" if args else "nothing")
        return (
            f"llmeval cannot call it: {e} (it would pass {passed}; a target takes any of "
            f"{', '.join(_KNOWN)} by name, or one positional parameter for the prompt)"
        )
    return None
