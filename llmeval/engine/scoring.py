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
    item: WorkItem, ctx: ScoreContext, services: Any
) -> tuple[Status, float | None, tuple[AssertionResult, ...]]:
    if not item.assertions:
        status, score = case_verdict(item.case, ())
        return status, score, ()
    transforms = item.case.transform is not None or any(
        a.spec.transform is not None for a in item.assertions
    )
    if not transforms and all(a.defn.kind == "sync" for a in item.assertions):
        # The common, fast path: no task overhead for pure metrics.
        results = []
        for a in item.assertions:
            try:
                raw = a.fn(ctx)
            except Exception as e:
                raw = _crash(e)
            results.append(finalize(a.defn, a.spec, raw))
    else:
        case_ctx: ScoreContext | Exception = ctx
        if item.case.transform is not None:  # promptfoo's options.transform: once per case
            from llmeval.metrics.transform import TransformError, transformed

            try:
                case_ctx = await transformed(item.case.transform, ctx)
            except TransformError as e:
                case_ctx = e
        results = list(
            await asyncio.gather(*(_one(a, case_ctx, services) for a in item.assertions))
        )
    status, score = case_verdict(item.case, results)
    return status, score, tuple(results)
