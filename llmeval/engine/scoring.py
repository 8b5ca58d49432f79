"""Score one completion: run its assertions, then apply the central verdict."""

from __future__ import annotations

import asyncio
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
    item: WorkItem, ctx: ScoreContext, services: Any
) -> tuple[Status, float | None, tuple[AssertionResult, ...]]:
    if not item.assertions:
        status, score = case_verdict(item.case, ())
        return status, score, ()
    if all(a.defn.kind == "sync" for a in item.assertions):
        # The common, fast path: no task overhead for pure metrics.
        results = []
        for a in item.assertions:
            try:
                raw = a.fn(ctx)
            except Exception as e:
                raw = _crash(e)
            results.append(finalize(a.defn, a.spec, raw))
    else:
        results = list(await asyncio.gather(*(_one(a, ctx, services) for a in item.assertions)))
    status, score = case_verdict(item.case, results)
    return status, score, tuple(results)
