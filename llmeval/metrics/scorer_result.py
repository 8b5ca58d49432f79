"""A python scorer's return value, read as promptfoo reads it.

A bool is pass/fail; a number is a score (pass: ``score >= threshold`` when the
assertion has one, else ``score > 0``); a dict ``{pass, score, reason}`` may add
``namedScores`` (``{name: score}``) and ``componentResults`` (a list of
``{pass, score, reason}``, each named by its ``assertion.metric`` / ``metric``),
kept as named metrics in ``details["named_scores"]``.

Scores outside [0, 1]: pass/fail is decided on the raw score; the recorded score,
which enters weighted means, is brought into [0, 1] (above 1 counts as 1, below 0 as
0), the reason says so, and ``details["raw_score"]`` keeps the raw value.
"""

from __future__ import annotations

import json
import math
from typing import Any

from llmeval.domain.record import Score
from llmeval.metrics.values import js_str


def interpret(result: Any, threshold: float | None) -> Score:
    """A scorer's return value, read as promptfoo reads it."""
    if isinstance(result, str):
        low = result.strip().lower()
        if low in ("true", "false"):
            result = low == "true"
        elif low.startswith("{"):
            try:
                result = json.loads(result)
            except ValueError:
                return Score(passed=None, error=f"python scorer returned invalid JSON: {result!r}")
        else:
            try:
                result = float(low)
            except ValueError:
                result = None
    if isinstance(result, bool):
        return Score(
            passed=result, score=1.0 if result else 0.0, reason=f"python returned {result}"
        )
    if isinstance(result, int | float) and not math.isnan(result):
        ok = result >= threshold if threshold is not None else result > 0
        return _bounded(ok, float(result), f"python score {js_str(result)}", threshold)
    if isinstance(result, dict) and ("pass" in result or "score" in result):
        return _from_dict(result, threshold)
    return Score(
        passed=None,
        error=f"python scorer must return a bool, a number or a dict; got {result!r}",
    )


def _from_dict(d: dict[str, Any], threshold: float | None) -> Score:
    raw_pass, raw_score = d.get("pass"), d.get("score")
    if raw_pass is not None and not isinstance(raw_pass, bool):
        return Score(passed=None, error=f"python scorer 'pass' must be a bool, got {raw_pass!r}")
    if raw_score is not None and (
        isinstance(raw_score, bool) or not isinstance(raw_score, int | float)
    ):
        return Score(
            passed=None, error=f"python scorer 'score' must be a number, got {raw_score!r}"
        )
    score = float(raw_score) if raw_score is not None else (1.0 if raw_pass else 0.0)
    ok = (
        raw_pass
        if raw_pass is not None
        else (score >= threshold if threshold is not None else score > 0)
    )
    reason = str(d.get("reason") or f"python returned pass={ok}")
    if threshold is not None and score < threshold:
        ok, reason = False, f"python score {js_str(score)} is less than threshold {threshold:g}"
    extra = {
        k: v
        for k, v in d.items()
        if k not in ("pass", "score", "reason", "namedScores", "componentResults")
    }
    named, problem = _named_scores(d)
    if problem:
        return Score(passed=None, error=f"python scorer {problem}")
    s = _bounded(ok, score, reason, None)
    details = {**(s.details or {}), **extra}
    if named:
        details["named_scores"] = named
    if isinstance(d.get("componentResults"), list):
        details["components"] = d["componentResults"]
    return Score(passed=s.passed, score=s.score, reason=s.reason, details=details or None)


def _named_scores(d: dict[str, Any]) -> tuple[dict[str, float], str | None]:
    """``namedScores`` plus one score per named component; (scores, problem)."""
    named: dict[str, float] = {}
    raw = d.get("namedScores")
    if raw is not None:
        if not isinstance(raw, dict):
            return {}, f"'namedScores' must be a mapping, got {raw!r}"
        for k, v in raw.items():
            if isinstance(v, bool) or not isinstance(v, int | float):
                return {}, f"'namedScores' value for {k!r} must be a number, got {v!r}"
            named[str(k)] = float(v)
    comps = d.get("componentResults")
    if comps is not None and not isinstance(comps, list):
        return {}, f"'componentResults' must be a list, got {comps!r}"
    for c in comps or []:
        if not isinstance(c, dict):
            return {}, f"each of 'componentResults' must be a mapping, got {c!r}"
        found = c.get("assertion")
        assertion: dict[str, Any] = found if isinstance(found, dict) else {}
        name = assertion.get("metric") or c.get("metric")
        value = c.get("score", 1.0 if c.get("pass") else 0.0 if "pass" in c else None)
        if name and isinstance(value, int | float) and not isinstance(value, bool):
            named.setdefault(str(name), float(value))
        sub, problem = _named_scores(c)
        if problem:
            return {}, problem
        for k, v in sub.items():
            named.setdefault(k, v)
    return named, None


def _bounded(ok: bool, score: float, reason: str, threshold: float | None) -> Score:
    """The recorded score in [0, 1] for weighted means (the documented rule in this
    module's docstring); the raw value goes in details and the reason says so."""
    clamped = min(1.0, max(0.0, score))
    details = {"raw_score": score} if clamped != score else None
    if threshold is not None:
        reason += f" ({'>=' if ok else '<'} threshold {threshold:g})"
    if clamped != score:
        reason += f" (score {js_str(score)} outside [0, 1], recorded as {js_str(clamped)})"
    return Score(passed=ok, score=clamped, reason=reason, details=details)
