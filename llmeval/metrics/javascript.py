"""``javascript`` assertions, as promptfoo: run in an embedded V8 (``mini-racer``, the
optional extra ``llmeval[js]``).

The value is an expression (``output.includes('Paris')``) or, when it spans several
lines, a function body that ``return``s. It sees ``output`` (the text) and ``context``
(``{vars, prompt, test: {vars}, config}``), both passed as JSON data, never as code.
It may return a boolean, a number (a score: pass if >= threshold, else if > 0) or a
GradingResult ``{pass, score, reason}`` (with a threshold, pass also needs score >=
threshold). These are promptfoo's rules, so this metric applies them itself.

Sandbox: a fresh V8 context per call, with no ``require``, filesystem, network or
timers (mini-racer exposes none); a time limit (``timeout_ms``, default 1000) and a heap
limit (``max_memory_mb``, default 64). Exceeding either is a scorer error, not a pass.
"""

from __future__ import annotations

import json
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.registry import register
from llmeval.metrics.values import check_options

NEEDS_EXTRA = "javascript assertions need the optional JavaScript engine: pip install 'llmeval[js]'"


def _engine() -> Any:
    try:
        from py_mini_racer import MiniRacer
    except ImportError:
        raise ConfigError(NEEDS_EXTRA) from None
    return MiniRacer


def wrap(code: str) -> str:
    """promptfoo: a multi-line value is a function body, else an expression."""
    one_line = code.strip().rstrip(";").rstrip()  # promptfoo accepts `output.length < 9;`
    body = code if "\n" in code.strip() else f"return ({one_line});"
    return f"(function(output, context) {{\n{body}\n}})"


def verdict(result: Any, threshold: float | None) -> Score:
    """promptfoo's reading of what the script returned."""
    if isinstance(result, bool):
        return Score(
            passed=result,
            score=1.0 if result else 0.0,
            reason="javascript returned " + str(result).lower(),
        )
    if isinstance(result, int | float):
        score = float(result)
        ok = score >= threshold if threshold is not None else score > 0
        return Score(passed=ok, score=score, reason=f"javascript returned {score:g}")
    if isinstance(result, dict) and isinstance(result.get("pass"), bool):
        raw = result.get("score", 1.0 if result["pass"] else 0.0)
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            return Score(passed=None, error="javascript: 'score' must be a number")
        score = float(raw)
        ok = result["pass"] and (threshold is None or score >= threshold)
        reason = result.get("reason")
        return Score(
            passed=ok,
            score=score,
            reason=reason if isinstance(reason, str) else "javascript GradingResult",
        )
    return Score(
        passed=None,
        error="javascript must return a boolean, a number or "
        f"{{pass, score, reason}}; got {json.dumps(result, default=str)[:80]}",
    )


def run_js(engine: Any, code: str, timeout_ms: int, memory_mb: int) -> Any:
    """Evaluate ``code`` in a fresh V8 context, off the event loop.

    mini-racer refuses a timed ``eval`` on a thread that runs an asyncio loop, so the
    call always happens on a worker thread; the context is closed afterwards.
    """
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    def work() -> Any:
        js = engine()
        try:
            return js.eval(code, timeout=timeout_ms, max_memory=memory_mb * 1024 * 1024)
        finally:
            js.close()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()  # no loop on this thread (a worker thread, or plain validate)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def script_context(ctx: ScoreContext, config: Any = None) -> dict[str, Any]:
    """promptfoo's ``context`` argument, as plain JSON data."""
    prompt = next((m.content for m in reversed(ctx.messages) if m.role == "user"), None)
    return {
        "vars": dict(ctx.vars),
        "prompt": prompt,
        "test": {"vars": dict(ctx.vars)},
        "config": config or {},
    }


def compile_script(code: str, what: str, timeout_ms: int = 1000, memory_mb: int = 64) -> Any:
    """``async run(output, context) -> value`` for a promptfoo script (an expression or a
    function body); ConfigError at plan time without the extra or on a syntax error."""
    import asyncio

    engine = _engine()
    source = wrap(code)
    try:
        run_js(engine, f"typeof {source}", 1000, memory_mb)  # compiles, runs nothing
    except Exception as e:
        raise ConfigError(f"{what}: {type(e).__name__}: {str(e).splitlines()[0]}") from None

    async def run(output: str, context: dict[str, Any], as_value: bool = False) -> Any:
        # as_value: ``output`` is the JSON text of a transform's value, passed as that value
        arg = f"JSON.parse({json.dumps(output)})" if as_value else json.dumps(output)
        call = f"{source}({arg}, {json.dumps(context, default=str)})"
        text = await asyncio.to_thread(
            run_js, engine, f"JSON.stringify({call})", timeout_ms, memory_mb
        )
        return json.loads(text) if isinstance(text, str) else None

    return run


@register(
    "javascript",
    kind="async",
    requires_value=True,
    description="A JavaScript expression or function body over `output` and `context` "
    "(embedded V8, sandboxed, time and memory limited; extra llmeval[js]).",
)
def javascript(spec: AssertionSpec, build: BuildContext) -> Any:
    opts = check_options(spec, "timeout_ms", "max_memory_mb", "config")
    if not isinstance(spec.value, str) or not spec.value.strip():
        raise ConfigError("javascript: 'value' must be JavaScript code")
    if spec.value.strip().startswith("file://"):
        raise ConfigError("javascript: file:// scripts are not supported; inline the code")
    timeout = opts.get("timeout_ms", 1000)
    memory = opts.get("max_memory_mb", 64)
    for key, v in (("timeout_ms", timeout), ("max_memory_mb", memory)):
        if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
            raise ConfigError(f"javascript: '{key}' must be a positive integer")
    script = compile_script(spec.value, "javascript", timeout, memory)

    async def fn(ctx: ScoreContext, services: Any) -> Score:
        from py_mini_racer import JSEvalException

        try:
            result = await script(
                ctx.output, script_context(ctx, opts.get("config")), ctx.output_is_value
            )
        except JSEvalException as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            return Score(passed=None, error=f"javascript failed: {type(e).__name__}: {first}")
        return verdict(result, spec.threshold)

    return fn
