"""``latency`` (ms), ``ttft`` (time to first token, ms) and ``cost`` (USD): the threshold
is a required maximum, as in promptfoo."""

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


def _at_most(
    spec: AssertionSpec,
    *,
    unit: str,
    measure: Callable[[ScoreContext], float | None],
    describe: Callable[[float, str, float], str],
    missing: str,
    key: str,
) -> Fn:
    """A measured value against a required maximum; unmeasured results are skipped."""
    check_options(spec)
    limit = _limit(spec, unit)

    def fn(ctx: ScoreContext) -> Score:
        value = measure(ctx)
        if value is None:  # e.g. a replayed result: nothing was measured, so nothing to judge
            return Score(passed=None, skipped=True, reason=missing, kind="unmeasured")
        ok = value <= limit
        return Score(
            passed=ok,
            score=1.0 if ok else 0.0,
            reason=describe(value, "within" if ok else "greater than", limit),
            details={key: value},
        )

    return fn


@register("latency", description="response time in ms <= threshold")
def _latency(spec: AssertionSpec, build: BuildContext) -> Fn:
    return _at_most(
        spec,
        unit="milliseconds",
        measure=lambda ctx: ctx.latency_ms,
        describe=lambda v, verb, lim: f"latency {v:.0f}ms is {verb} threshold {lim:g}ms",
        missing="no latency measured for this result",
        key="latency_ms",
    )


@register("cost", description="cost in USD <= threshold")
def _cost(spec: AssertionSpec, build: BuildContext) -> Fn:
    return _at_most(
        spec,
        unit="USD",
        measure=lambda ctx: ctx.cost_usd,
        describe=lambda v, verb, lim: f"cost ${v:.2g} is {verb} threshold ${lim:g}",
        missing="no cost known for this model",
        key="cost_usd",
    )


@register("ttft", description="time to first token in ms <= threshold (streamed models)")
def _ttft(spec: AssertionSpec, build: BuildContext) -> Fn:
    return _at_most(
        spec,
        unit="milliseconds",
        measure=lambda ctx: ctx.ttft_ms,
        describe=lambda v, verb, lim: (
            f"time to first token {v:.0f}ms is {verb} threshold {lim:g}ms"
        ),
        missing="no time to first token measured (the model is not streamed)",
        key="ttft_ms",
    )
