"""Thresholds, ``not-`` inversion, weights and the case verdict: applied once, here."""

from __future__ import annotations

from collections.abc import Sequence

from llmeval.domain.record import ERROR, FAIL, PASS, SKIPPED, AssertionResult, Score
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.metrics.base import MetricDef


def finalize(defn: MetricDef, spec: AssertionSpec, raw: Score) -> AssertionResult:
    """Turn a metric's raw score into the recorded assertion result."""
    passed, score = raw.passed, raw.score
    if raw.error is not None or raw.skipped:
        passed = None
    elif defn.threshold == "min" and score is not None:
        limit = spec.threshold if spec.threshold is not None else defn.default_threshold
        passed = (
            score >= limit if limit is not None else (passed if passed is not None else score > 0)
        )
    if spec.negate and passed is not None:
        passed = not passed
        score = None if score is None else 1.0 - score
    if score is None and passed is not None:
        score = 1.0 if passed else 0.0
    reason = raw.error if raw.error is not None else raw.reason
    details = dict(raw.details or {})
    if raw.skipped:
        details["skipped"] = True
    if raw.error is not None:
        details["error"] = True
    return AssertionResult(
        type=spec.name,
        passed=passed,
        score=score,
        reason=reason,
        weight=spec.weight,
        metric=spec.metric,
        details=details or None,
    )


def case_verdict(case: Case, results: Sequence[AssertionResult]) -> tuple[str, float | None]:
    """(status, weighted mean score) for one result.

    A scorer error makes the case an ``error``; skipped assertions are left out;
    with nothing left to judge the case is ``skipped``. Otherwise every assertion
    must pass, or with ``case.threshold`` the weighted mean must reach it.
    """
    if any(r.details and r.details.get("error") for r in results):
        return ERROR, None
    judged = [r for r in results if not (r.details and r.details.get("skipped"))]
    if results and not judged:
        return SKIPPED, None
    scored = [r for r in judged if r.score is not None]
    total_w = sum(r.weight for r in scored)
    weighted = sum((r.score or 0.0) * r.weight for r in scored)
    mean = weighted / total_w if total_w > 0 else None
    if not judged:
        return PASS, 1.0  # no assertions: the call succeeding is the test
    if case.threshold is not None:
        ok = mean is not None and mean >= case.threshold
    else:
        ok = all(r.passed is True for r in judged)
    return (PASS if ok else FAIL), mean
