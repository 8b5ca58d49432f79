"""``transform:``: promptfoo's JavaScript applied to the output before asserting.

On a case (or ``defaults:``) it is promptfoo's ``options.transform`` and applies before
every assertion of the case; on an assertion it is that assertion's ``transform`` and
applies after the case's. The code is an expression or a function body over
``output`` and ``context`` (``{vars, prompt, test: {vars}}``), run by the embedded
engine of ``llmeval.metrics.javascript`` (the ``llmeval[js]`` extra: without it,
``llmeval validate`` says so), sandboxed and time-limited like ``javascript``
assertions. The output is passed as JSON data, never as code.

What it returns becomes the output the assertions see: a string as it is; any other
value as its JSON text (promptfoo stringifies non-string outputs the same way for its
text assertions), while ``javascript`` assertions receive the value itself, as in
promptfoo. A transform that throws, times out or returns ``undefined`` is an error of
the assertions it feeds. The journal keeps the model's own output.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import lru_cache
from typing import Any

from llmeval.errors import ConfigError
from llmeval.metrics.base import ScoreContext

TIMEOUT_MS = 1000
MEMORY_MB = 64

Script = Callable[..., Awaitable[Any]]


class TransformError(Exception):
    """The transform could not produce an output; the message says why."""


@lru_cache(maxsize=256)
def compile_transform(code: str) -> Script:
    """The runnable transform; ConfigError without the extra or on a syntax error.
    Cached by code: the same transform on 10,000 cases is compiled once."""
    from llmeval.metrics.javascript import compile_script

    if not isinstance(code, str) or not code.strip():
        raise ConfigError("transform: JavaScript code is required")
    if code.strip().startswith("file://"):
        raise ConfigError("transform: file:// scripts are not supported; inline the code")
    return compile_script(code, "transform", TIMEOUT_MS, MEMORY_MB)  # type: ignore[no-any-return]


def check(code: Any) -> str | None:
    """None if ``code`` is a usable transform, else the one-line reason (for validate)."""
    try:
        compile_transform(code if isinstance(code, str) else "")
    except ConfigError as e:
        return e.message
    return None


async def transformed(code: str, ctx: ScoreContext) -> ScoreContext:
    """``ctx`` with its output replaced by what ``code`` returns; TransformError if the
    script fails."""
    from py_mini_racer import JSEvalException

    from llmeval.metrics.javascript import script_context

    run = compile_transform(code)
    try:
        value = await run(ctx.output, script_context(ctx), as_value=ctx.output_is_value)
    except JSEvalException as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TransformError(f"transform failed: {type(e).__name__}: {first}") from None
    if value is None:
        raise TransformError("transform returned undefined or null")
    if isinstance(value, str):
        return replace(ctx, output=value, output_is_value=False)
    return replace(ctx, output=json.dumps(value, ensure_ascii=False), output_is_value=True)
