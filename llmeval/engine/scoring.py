"""Score one completion: run its assertions, then apply the central verdict."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from llmeval.domain.record import AssertionResult, Score, Status
from llmeval.engine.plan import CompiledAssertion, WorkItem
from llmeval.engine.tracebacks import user_traceback
from llmeval.metrics.apply import case_verdict, finalize
from llmeval.metrics.base import ScoreContext


def _crash(e: BaseException) -> Score:
    # A scorer bug is that case's error, never the run's; its traceback is kept.
    return Score(
        passed=None,
        error=f"scorer crashed: {type(e).__name__}: {e}",
        kind="scorer",
        traceback=user_traceback(e),
    )


def _transform_failed(e: Exception) -> Score:
    return Score(passed=None, error=str(e), kind="scorer")


async def _one(
    a: CompiledAssertion, ctx: ScoreContext | Exception, services: Any
) -> AssertionResult:
    """One assertion; ``ctx`` is the case's transform failure when it had one."""
    from llmeval.metrics.transform import TransformError, transformed

    try:
        if isinstance(ctx, Exception):
            return finalize(a.defn, a.spec, _transform_failed(ctx))
        if a.spec.transform is not None:
            ctx = await transformed(a.spec.transform, ctx)
        if a.defn.kind == "async":
            raw = await a.fn(ctx, services)
        else:
            raw = a.fn(ctx)
    except asyncio.CancelledError:
        raise
    except TransformError as e:
        raw = _transform_failed(e)
    except Exception as e:
        raw = _crash(e)
    return finalize(a.defn, a.spec, raw)


async def score_item(
    item: WorkItem, ctx: ScoreContext, services: Any, turns: Sequence[Any] = ()
) -> tuple[Status, float | None, tuple[AssertionResult, ...]]:
    """The case's assertions score the final answer (``ctx``); in a conversation each
    turn's assertions score that turn's answer (``turns``: ``engine.loop.TurnReply``)
    and carry ``turn``. One verdict over all of them: every one must pass."""
    jobs: list[tuple[CompiledAssertion, ScoreContext, int | None]] = [
        (a, ctx, None) for a in item.assertions
    ]
    planned = item.agenda.turns if item.agenda is not None else ()
    for i, (turn, reply) in enumerate(zip(planned, turns, strict=False)):
        if turn.assertions:
            tctx = _turn_context(item, ctx, reply)
            jobs += [(a, tctx, i) for a in turn.assertions]
    if not jobs:
        status, score = case_verdict(item.case, ())
        return status, score, ()
    transforms = item.case.transform is not None or any(
        a.spec.transform is not None for a, _, _ in jobs
    )
    if not transforms and all(a.defn.kind == "sync" for a, _, _ in jobs):
        # The common, fast path: no task overhead for pure metrics.
        results = []
        for a, c, _ in jobs:
            try:
                raw = a.fn(c)
            except Exception as e:
                raw = _crash(e)
            results.append(finalize(a.defn, a.spec, raw))
    else:
        # promptfoo's options.transform: once per answer scored (the final one, each turn's)
        contexts: dict[int, ScoreContext | Exception] = {}
        if item.case.transform is not None:
            from llmeval.metrics.transform import TransformError, transformed

            for _, c, _ in jobs:
                if id(c) not in contexts:
                    try:
                        contexts[id(c)] = await transformed(item.case.transform, c)
                    except TransformError as e:
                        contexts[id(c)] = e
        results = list(
            await asyncio.gather(*(_one(a, contexts.get(id(c), c), services) for a, c, _ in jobs))
        )
    results = [
        r if t is None else replace(r, turn=t) for r, (_, _, t) in zip(results, jobs, strict=True)
    ]
    status, score = case_verdict(item.case, results)
    return status, score, tuple(results)


def _turn_context(item: WorkItem, ctx: ScoreContext, reply: Any) -> ScoreContext:
    text = item.redaction.restore(reply.text) if item.redaction else reply.text
    return replace(
        ctx,
        output=text,
        latency_ms=reply.latency_ms,
        messages=ctx.messages[: reply.end],
        tool_calls=reply.tool_calls,
    )
