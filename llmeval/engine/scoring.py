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


async def _one(a: CompiledAssertion, ctx: ScoreContext, services: Any) -> AssertionResult:
    try:
        if a.defn.kind == "async":
            raw = await a.fn(ctx, services)
        else:
            raw = a.fn(ctx)
    except asyncio.CancelledError:
        raise
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
    if all(a.defn.kind == "sync" for a, _, _ in jobs):
        # The common, fast path: no task overhead for pure metrics.
        results = []
        for a, c, _ in jobs:
            try:
                raw = a.fn(c)
            except Exception as e:
                raw = _crash(e)
            results.append(finalize(a.defn, a.spec, raw))
    else:
        results = list(await asyncio.gather(*(_one(a, c, services) for a, c, _ in jobs)))
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
