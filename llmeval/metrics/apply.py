"""Thresholds, ``not-`` inversion, weights and the case verdict: applied once, here."""

from __future__ import annotations

from collections.abc import Sequence

from llmeval.domain.record import ERROR, FAIL, PASS, SKIPPED, AssertionResult, Score, Status
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.metrics.base import MetricDef


def finalize(defn: MetricDef, spec: AssertionSpec, raw: Score) -> AssertionResult:
    """Turn a metric's raw score into the recorded assertion result."""
    passed, score = raw.passed, raw.score
    status: Status
    if raw.error is not None:
        status, passed, score = ERROR, None, None
    elif raw.skipped:
        status, passed, score = SKIPPED, None, None
    else:
        if defn.threshold == "min" and score is not None:
            limit = spec.threshold if spec.threshold is not None else defn.default_threshold
            passed = (
                score >= limit
                if limit is not None
                else (passed if passed is not None else score > 0)
            )
        if spec.negate and passed is not None:
            passed = not passed
            score = None if score is None else 1.0 - score
        if score is None and passed is not None:
            score = 1.0 if passed else 0.0
        # a metric that returned no verdict at all could not score: an error, never a pass
        status = PASS if passed is True else FAIL if passed is False else ERROR
    kind = raw.kind
    if status == ERROR and kind is None:
        kind = "scorer"
    return AssertionResult(
        type=spec.name,
        status=status,
        score=score,
        reason=raw.error if raw.error is not None else raw.reason,
        weight=spec.weight,
        metric=spec.metric,
        details=dict(raw.details) if raw.details else None,
        kind=kind,
        traceback=raw.traceback,
    )


def case_verdict(case: Case, results: Sequence[AssertionResult]) -> tuple[Status, float | None]:
    """(status, weighted mean score) for one result.

    An assertion error makes the case an ``error``; skipped assertions are left out;
    with nothing left to judge the case is ``skipped``. ``weight: 0`` assertions are
    recorded but decide nothing (promptfoo's counters). Otherwise every assertion must
    pass, or with ``case.threshold`` the weighted mean must reach it.
    """
    if any(r.status == ERROR for r in results):
        return ERROR, None
    judged = [r for r in results if r.status != SKIPPED]
    if results and not judged:
        return SKIPPED, None
    if not judged:
        return PASS, 1.0  # no assertions: the call succeeding is the test
    deciding = [r for r in judged if r.weight != 0]
    scored = [r for r in deciding if r.score is not None]
    total_w = sum(r.weight for r in scored)
    mean = sum((r.score or 0.0) * r.weight for r in scored) / total_w if total_w > 0 else None
    if case.threshold is not None:
        ok = mean is not None and mean >= case.threshold
    else:
        ok = all(r.status == PASS for r in deciding)
    return (PASS if ok else FAIL), mean
