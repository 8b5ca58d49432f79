"""Aggregate results per suite x model x prompt. Pure: results in, plain dicts out."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from statistics import NormalDist
from typing import Any

from llmeval.domain.record import ERROR, FAIL, PASS, SKIPPED, CaseResult

_Z95 = NormalDist().inv_cdf(0.975)


def wilson(k: int, n: int, z: float = _Z95) -> tuple[float, float] | None:
    """Wilson score interval (parity with statsmodels is tested in analysis.stats)."""
    if n == 0:
        return None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


def _repeat_stats(rs: Sequence[CaseResult]) -> dict[str, Any]:
    """Per case over repeats: pass rate, pass@k (any passes), pass^k (all pass), flaky."""
    by_case: dict[str, list[bool]] = defaultdict(list)
    for r in rs:
        if r.status in (PASS, FAIL):
            by_case[r.case_id].append(r.status == PASS)
    flaky = sorted(c for c, v in by_case.items() if any(v) and not all(v))
    k = max((len(v) for v in by_case.values()), default=0)
    return {
        "k": k,
        "pass_at_k": _mean([1.0 if any(v) else 0.0 for v in by_case.values()]),
        "pass_hat_k": _mean([1.0 if all(v) else 0.0 for v in by_case.values()]),
        "flaky": flaky,
        "case_pass_rates": {c: sum(v) / len(v) for c, v in sorted(by_case.items())},
    }


def summarize_group(rs: Sequence[CaseResult]) -> dict[str, Any]:
    counts = {s: 0 for s in (PASS, FAIL, ERROR, SKIPPED)}
    for r in rs:
        counts[r.status] = counts.get(r.status, 0) + 1
    judged = counts[PASS] + counts[FAIL]
    lat = sorted(r.latency_ms for r in rs if r.latency_ms is not None and r.status != ERROR)
    scores = [r.score for r in rs if r.status in (PASS, FAIL) and r.score is not None]
    metrics: dict[str, list[float]] = defaultdict(list)
    for r in rs:
        if r.status not in (PASS, FAIL):
            continue
        for a in r.assertions:
            if a.score is not None and not (a.details and a.details.get("skipped")):
                metrics[a.metric or a.type].append(a.score)
    cost = [r.cost_usd for r in rs if r.cost_usd is not None]
    judge_cost = [r.judge_cost_usd for r in rs if r.judge_cost_usd is not None]
    out: dict[str, Any] = {
        "n": len(rs),
        "passed": counts[PASS],
        "failed": counts[FAIL],
        "errors": counts[ERROR],
        "skipped": counts[SKIPPED],
        "pass_rate": counts[PASS] / judged if judged else None,
        "pass_rate_ci": wilson(counts[PASS], judged),
        "error_rate": counts[ERROR] / len(rs) if rs else 0.0,
        "mean_score": _mean(scores),
        "metrics": {k: _mean(v) for k, v in sorted(metrics.items())},
        "latency_p50": percentile(lat, 0.5),
        "latency_p95": percentile(lat, 0.95),
        "latency_p99": percentile(lat, 0.99),
        "tokens_in": sum(r.tokens.get("input", 0) for r in rs),
        "tokens_out": sum(r.tokens.get("output", 0) for r in rs),
        "cost_usd": sum(cost) + sum(judge_cost) if (cost or judge_cost) else None,
        "spent_usd": sum(r.cost_usd or 0.0 for r in rs if not r.cached) + sum(judge_cost),
        "cache_hits": sum(1 for r in rs if r.cached),
        "error_cases": sorted({r.case_id for r in rs if r.status == ERROR}),
        "failed_cases": sorted({r.case_id for r in rs if r.status == FAIL}),
    }
    if any(r.repeat > 0 for r in rs):
        out["repeats"] = _repeat_stats(rs)
    if any(a.type.removeprefix("not-") in _CORPUS for r in rs for a in r.assertions):
        from llmeval.analysis.corpus import from_results  # scikit-learn / sacrebleu: lazily

        out["corpus"] = from_results(rs)
    return out


_CORPUS = frozenset({"classification", "bleu", "chrf"})


_SUM_KEYS = ("n", "passed", "failed", "errors", "skipped", "tokens_in", "tokens_out", "cache_hits")


def summarize(
    results: Iterable[CaseResult],
    *,
    min_pass_rates: Mapping[str, float | None] | None = None,
    not_run: Mapping[tuple[str, str, str], int] | None = None,
    corpus: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The run summary written to run.json and shown by the console and the report."""
    groups: dict[tuple[str, str, str], list[CaseResult]] = defaultdict(list)
    for r in results:
        groups[(r.suite, r.model, r.prompt)].append(r)
    not_run = not_run or {}
    for key in not_run:
        groups.setdefault(key, [])
    rows = []
    for (suite, model, prompt), rs in sorted(groups.items()):
        row = {"suite": suite, "model": model, "prompt": prompt, **summarize_group(rs)}
        row["not_run"] = not_run.get((suite, model, prompt), 0)
        row["min_pass_rate"] = (min_pass_rates or {}).get(suite)
        rows.append(row)
    totals: dict[str, Any] = {k: sum(r[k] for r in rows) for k in _SUM_KEYS}
    totals["not_run"] = sum(r["not_run"] for r in rows)
    judged = totals["passed"] + totals["failed"]
    totals["pass_rate"] = totals["passed"] / judged if judged else None
    totals["pass_rate_ci"] = wilson(totals["passed"], judged)
    costs = [r["cost_usd"] for r in rows if r["cost_usd"] is not None]
    totals["cost_usd"] = sum(costs) if costs else None
    totals["spent_usd"] = sum(r["spent_usd"] for r in rows)
    totals["error_rate"] = totals["errors"] / totals["n"] if totals["n"] else 0.0
    all_lat = sorted(
        r.latency_ms
        for rs in groups.values()
        for r in rs
        if r.latency_ms is not None and r.status != ERROR
    )
    for q, name in ((0.5, "latency_p50"), (0.95, "latency_p95"), (0.99, "latency_p99")):
        totals[name] = percentile(all_lat, q)
    return {"groups": rows, "totals": totals, "corpus": dict(corpus or {})}
