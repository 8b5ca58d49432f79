"""The python implementations of a suite's tools (``tools_impl: tools.py``).

The file is resolved like a scorer (the suite's folder, then the project root, never
outside the project) and imported by the python provider's loader, so a target and a
tool module follow one rule. Each declared tool is the top-level function of its name;
the model's arguments are passed by keyword. Checked at plan time (so ``validate``
finds it, with file:line): a declared tool without a function, a public top-level
function that is no declared tool (a typo; name helpers ``_like_this``), and a
signature the schema's arguments cannot bind (a parameter the schema does not declare,
a required parameter the schema leaves optional, positional-only parameters).

The file is imported, checked and run in the project's python-target worker
(``providers.target_pool``: no provider keys, never in llmeval's process; the
``pass_env`` written beside ``tools_impl`` names the variables it does get, which
are then secrets, redacted wherever they would be written): a sync tool
in a daemon thread there, an async one on its loop, each call with a timeout. What it
returns becomes the tool message: a string as is, anything else as JSON; an exception
or a timeout becomes an ``error: ...`` text the model reads, and the step records it.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import json
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmeval.domain.location import Location
from llmeval.domain.tools import ToolCall, ToolSpec
from llmeval.errors import ConfigError

OUTPUT_CLIP = 2000  # characters of a tool's output kept in the trajectory step


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Toolbox:
    file: str  # as shown to the user (relative to the root)
    names: tuple[str, ...] = ()
    timeout_s: float = 30.0
    root: Path = field(default_factory=Path.cwd)
    rel: str = ""  # the file relative to the root, as the worker loads it
    pass_env: tuple[str, ...] = ()  # environment variables the worker gets (pass_env)

    def __hash__(self) -> int:
        return hash((self.file, self.names, self.pass_env))

    def pool(self) -> Any:
        from llmeval.providers.target_pool import pool_for

        return pool_for(self.root, self.pass_env)


@dataclass(frozen=True, slots=True)
class ToolRun:
    output: str  # what the model is told
    error: str | None
    duration_ms: float


def _top_level_functions(path: Path) -> dict[str, int]:
    tree = ast.parse(path.read_bytes(), filename=str(path))
    return {
        n.name: n.lineno for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
    }


def load_toolbox(
    written: str,
    tools: tuple[ToolSpec, ...],
    *,
    root: Path,
    suite_dir: Path | None,
    location: Location | None,
    timeout_s: float = 30.0,
    pass_env: tuple[str, ...] = (),
) -> Toolbox:
    """The checked toolbox; raises ConfigError (the first problem) at file:line."""
    from llmeval.config.paths import display
    from llmeval.config.validation import hint
    from llmeval.files import find_in_project
    from llmeval.providers.secrets import register_secret_env

    path = find_in_project(
        written, what="tools_impl", root=root, suite_dir=suite_dir, location=location
    )
    shown = display(path, root)
    if not tools:
        raise ConfigError(f"'tools_impl: {written}' but no tools are declared", location)
    try:
        defined = _top_level_functions(path)
    except SyntaxError as e:
        where = Location(shown, e.lineno or 1, e.offset or 1)
        raise ConfigError(f"syntax error in tools_impl: {e.msg}", where) from None
    names = [t.name for t in tools]
    for name, line in defined.items():
        if not name.startswith("_") and name not in names:
            raise ConfigError(
                f"tools_impl defines '{name}' but no tool of that name is declared"
                f"{hint(name, names)} (declared: {', '.join(names)}; name helpers _{name})",
                Location(shown, line, 1),
            )
    for tool in tools:
        if tool.name not in defined:
            raise ConfigError(
                f"tools_impl {shown} has no function for declared tool '{tool.name}'"
                f"{hint(tool.name, list(defined))}",
                location,
            )
    root = root.resolve()
    for name in pass_env:  # handed to the tools, so still redacted everywhere
        register_secret_env(name)
    rel = path.relative_to(root).as_posix()
    box = Toolbox(shown, tuple(names), timeout_s, root, rel, pass_env)
    pool = box.pool()
    pool.acquire()
    release = weakref.finalize(box, pool.release)  # the run's plan drops its toolboxes
    try:  # imported and checked in the worker, at each function's def
        pool.load_tools(box.rel, {t.name: (t.parameters, defined[t.name]) for t in tools})
    except BaseException:
        release()
        raise
    return box


def signature_problem(fn: Callable[..., Any], tool: ToolSpec) -> str | None:
    """Why the schema's arguments could not be passed to ``fn`` by keyword, or None."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    props = tool.parameters.get("properties") or {}
    required = set(tool.parameters.get("required") or ())
    any_kw = any(p.kind == p.VAR_KEYWORD for p in params)
    named = {p.name: p for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    for p in params:
        if p.kind == p.POSITIONAL_ONLY:
            return f"parameter '{p.name}' is positional-only; tools are called by keyword"
    for prop in props:
        if prop not in named and not any_kw:
            return f"the schema declares argument '{prop}' but the function has no such parameter"
    for name, p in named.items():
        if p.default is inspect.Parameter.empty and name not in required:
            why = "is not in the schema" if name not in props else "is optional in the schema"
            return f"parameter '{name}' has no default but {why} (add it to 'required' or give it a default)"
    return None


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


async def run_tool(box: Toolbox, call: ToolCall) -> ToolRun:
    """Run one call. Never raises (but for cancellation): failures are data."""
    from llmeval.providers.secrets import redact
    from llmeval.text import repair

    start = time.perf_counter()

    def failed(message: str) -> ToolRun:
        message = redact(message)
        return ToolRun(f"error: {message}", message, (time.perf_counter() - start) * 1000.0)

    if call.name not in box.names:
        known = ", ".join(box.names)
        return failed(f"unknown tool '{call.name}' (tools: {known})")
    if call.arguments is None:
        return failed(f"the arguments are not a JSON object: {call.raw_arguments!r}")
    request = {"op": "tool", "file": box.rel, "name": call.name, "arguments": call.arguments}
    try:
        async with asyncio.timeout(box.timeout_s):
            reply = await box.pool().call(request)
    except TimeoutError:
        return failed(f"tool '{call.name}' gave no answer within {box.timeout_s:g} s")
    except asyncio.CancelledError:
        raise
    except Exception as e:  # the tool's own exception, under its name, or its worker died
        return failed(f"{type(e).__name__}: {e}")
    value = reply.get("value")
    return ToolRun(repair(redact(_as_text(value))), None, (time.perf_counter() - start) * 1000.0)
