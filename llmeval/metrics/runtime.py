"""``latency`` (ms) and ``cost`` (USD): the threshold is a required maximum, as in promptfoo."""

from __future__ import annotations

from collections.abc import Callable

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.registry import register
from llmeval.metrics.values import check_options

Fn = Callable[[ScoreContext], Score]


def _limit(spec: AssertionSpec, unit: str) -> float:
    if spec.threshold is None:
        raise ConfigError(f"'{spec.name}' needs a threshold (the maximum, in {unit})")
    if spec.threshold < 0:
        raise ConfigError(f"'{spec.name}' threshold cannot be negative")
    return float(spec.threshold)


@register("latency", description="response time in ms <= threshold")
def _latency(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    limit = _limit(spec, "milliseconds")

    def fn(ctx: ScoreContext) -> Score:
        ms = ctx.latency_ms
        if ms is None:  # e.g. a replayed result: nothing was measured, so nothing to judge
            return Score(passed=None, skipped=True, reason="no latency measured for this result")
        ok = ms <= limit
        verb = "within" if ok else "greater than"
        return Score(
            passed=ok,
            score=1.0 if ok else 0.0,
            reason=f"latency {ms:.0f}ms is {verb} threshold {limit:g}ms",
            details={"latency_ms": ms},
        )

    return fn


@register("cost", description="cost in USD <= threshold")
def _cost(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    limit = _limit(spec, "USD")

    def fn(ctx: ScoreContext) -> Score:
        usd = ctx.cost_usd
        if usd is None:
            return Score(passed=None, skipped=True, reason="no cost known for this model")
        ok = usd <= limit
        verb = "within" if ok else "greater than"
        return Score(
            passed=ok,
            score=1.0 if ok else 0.0,
            reason=f"cost ${usd:.2g} is {verb} threshold ${limit:g}",
            details={"cost_usd": usd},
        )

    return fn
