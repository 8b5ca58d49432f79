"""Aggregate results per suite x model x prompt. Pure: results in, typed summaries out.

``RunSummary`` is what run.json's ``summary`` holds, what the console, the report and
markdown show, and what the gate reads: one shape, written by ``to_json`` and read back
by ``from_json``. Statistics come from ``analysis.stats`` (the only owner).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from llmeval.analysis.stats import percentile, wilson_interval
from llmeval.domain.record import ERROR, FAIL, PASS, SKIPPED, CaseResult


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One suite x model x prompt (or, with empty names, the run's totals).

    ``n`` counts every result (errors and skips included); ``pass_rate`` is
    passed / (passed + failed); errors and skips are never scores.
    """

    suite: str = ""
    model: str = ""
    prompt: str = ""
    n: int = 0
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    not_run: int = 0
    skipped_assertions: int = 0
    pass_rate: float | None = None
    pass_rate_ci: tuple[float, float] | None = None
    error_rate: float = 0.0
    mean_score: float | None = None
    metrics: dict[str, float | None] = field(default_factory=dict)
    latency_p50: float | None = None
    latency_p95: float | None = None
    latency_p99: float | None = None
    ttft_p50: float | None = None
    ttft_p95: float | None = None
    ttft_p99: float | None = None
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = None  # None, not $0, when nothing was priced
    judge_cost_usd: float = 0.0
    spent_usd: float = 0.0
    cache_hits: int = 0
    error_cases: tuple[str, ...] = ()
    failed_cases: tuple[str, ...] = ()
    error_kinds: dict[str, int] = field(default_factory=dict)
    min_pass_rate: float | None = None
    repeats: dict[str, Any] | None = None  # k, pass_at_k, pass_hat_k, flaky, case_pass_rates
    corpus: dict[str, Any] | None = None  # classification metrics, corpus BLEU / chrF
    derived: dict[str, float | None] | None = None  # the suite's derived_metrics

    @property
    def scored(self) -> int:
        return self.passed + self.failed

    @property
    def flaky(self) -> tuple[str, ...]:
        return tuple((self.repeats or {}).get("flaky") or ())

    def to_json(self) -> dict[str, Any]:
        d = {f: getattr(self, f) for f in _GROUP_FIELDS}
        for k in ("pass_rate_ci",):
            d[k] = list(d[k]) if d[k] is not None else None
        d["error_cases"] = list(self.error_cases)
        d["failed_cases"] = list(self.failed_cases)
        for k in ("repeats", "corpus", "derived"):
            if d[k] is None:
                del d[k]
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> GroupSummary:
        kw = {k: d[k] for k in _GROUP_FIELDS if k in d and d[k] is not None}
        if "pass_rate_ci" in kw:
            kw["pass_rate_ci"] = tuple(kw["pass_rate_ci"])
        for k in ("error_cases", "failed_cases"):
            if k in kw:
                kw[k] = tuple(kw[k])
        return cls(**kw)


_GROUP_FIELDS = tuple(f.name for f in fields(GroupSummary))


@dataclass(frozen=True, slots=True)
class RunSummary:
    groups: tuple[GroupSummary, ...] = ()
    totals: GroupSummary = field(default_factory=GroupSummary)

    def to_json(self) -> dict[str, Any]:
        return {"groups": [g.to_json() for g in self.groups], "totals": self.totals.to_json()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> RunSummary:
        d = d or {}
        return cls(
            groups=tuple(GroupSummary.from_json(g) for g in d.get("groups") or ()),
            totals=GroupSummary.from_json(d.get("totals") or {}),
        )


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


_CORPUS = frozenset({"classification", "bleu", "chrf"})


def _counts(rs: Sequence[CaseResult]) -> dict[str, Any]:
    counts = {s: 0 for s in (PASS, FAIL, ERROR, SKIPPED)}
    kinds: dict[str, int] = defaultdict(int)
    skipped_assertions = 0
    for r in rs:
        counts[r.status] += 1
        if r.error is not None:
            kinds[r.error.kind] += 1
        skipped_assertions += sum(1 for a in r.assertions if a.status == SKIPPED)
    judged = counts[PASS] + counts[FAIL]
    lat = sorted(r.latency_ms for r in rs if r.latency_ms is not None and r.status != ERROR)
    ttft = sorted(r.ttft_ms for r in rs if r.ttft_ms is not None and r.status != ERROR)
    cost = [r.cost_usd for r in rs if r.cost_usd is not None]
    judge_cost = [r.judge_cost_usd for r in rs if r.judge_cost_usd is not None]
    return {
        "n": len(rs),
        "passed": counts[PASS],
        "failed": counts[FAIL],
        "errors": counts[ERROR],
        "skipped": counts[SKIPPED],
        "skipped_assertions": skipped_assertions,
        "pass_rate": counts[PASS] / judged if judged else None,
        "pass_rate_ci": wilson_interval(counts[PASS], judged) if judged else None,
        "error_rate": counts[ERROR] / len(rs) if rs else 0.0,
        "latency_p50": percentile(lat, 0.5),
        "latency_p95": percentile(lat, 0.95),
        "latency_p99": percentile(lat, 0.99),
        "ttft_p50": percentile(ttft, 0.5),
        "ttft_p95": percentile(ttft, 0.95),
        "ttft_p99": percentile(ttft, 0.99),
        "tokens_in": sum(r.tokens.get("input", 0) for r in rs),
        "tokens_out": sum(r.tokens.get("output", 0) for r in rs),
        "cost_usd": sum(cost) + sum(judge_cost) if (cost or judge_cost) else None,
        "judge_cost_usd": sum(judge_cost),
        "spent_usd": sum(r.cost_usd or 0.0 for r in rs if not r.cached) + sum(judge_cost),
        "cache_hits": sum(1 for r in rs if r.cached),
        "error_kinds": dict(sorted(kinds.items())),
    }


def summarize_group(
    suite: str,
    model: str,
    prompt: str,
    rs: Sequence[CaseResult],
    derived: Sequence[tuple[str, str]] = (),
) -> GroupSummary:
    scores = [r.score for r in rs if r.status in (PASS, FAIL) and r.score is not None]
    metrics: dict[str, list[float]] = defaultdict(list)
    for r in rs:
        if r.status not in (PASS, FAIL):
            continue
        for a in r.assertions:
            if a.score is not None and a.scored:
                metrics[a.metric or a.type].append(a.score)
            for name, value in ((a.details or {}).get("named_scores") or {}).items():
                metrics[name].append(value)  # a python scorer's namedScores
    corpus = None
    if any(a.type.removeprefix("not-") in _CORPUS for r in rs for a in r.assertions):
        from llmeval.analysis.corpus import from_results  # scikit-learn / sacrebleu: lazily

        corpus = from_results(rs)
    return GroupSummary(
        suite=suite,
        model=model,
        prompt=prompt,
        **_counts(rs),
        mean_score=_mean(scores),
        metrics={k: _mean(v) for k, v in sorted(metrics.items())},
        error_cases=tuple(sorted({r.case_id for r in rs if r.status == ERROR})),
        failed_cases=tuple(sorted({r.case_id for r in rs if r.status == FAIL})),
        repeats=_repeat_stats(rs) if any(r.repeat > 0 for r in rs) else None,
        corpus=corpus,
        derived=_derived(derived, rs) if derived else None,
    )


def _derived(
    definitions: Sequence[tuple[str, str]], rs: Sequence[CaseResult]
) -> dict[str, float | None]:
    from llmeval.analysis.derived import compute, result_values

    return compute(definitions, [result_values(r.assertions) for r in rs if r.scored])


def summarize(
    results: Iterable[CaseResult],
    *,
    min_pass_rates: Mapping[str, float | None] | None = None,
    not_run: Mapping[tuple[str, str, str], int] | None = None,
    derived: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> RunSummary:
    """The run summary written to run.json and shown by the console and the report.

    ``derived``: per suite, its ``derived_metrics`` (name, expression), in order."""
    results = list(results)
    groups: dict[tuple[str, str, str], list[CaseResult]] = defaultdict(list)
    for r in results:
        groups[(r.suite, r.model, r.prompt)].append(r)
    not_run = not_run or {}
    for key in not_run:
        groups.setdefault(key, [])
    rows = []
    for (suite, model, prompt), rs in sorted(groups.items()):
        g = summarize_group(suite, model, prompt, rs, (derived or {}).get(suite, ()))
        rows.append(
            _replace(
                g,
                not_run=not_run.get((suite, model, prompt), 0),
                min_pass_rate=(min_pass_rates or {}).get(suite),
            )
        )
    totals = GroupSummary(
        **_counts(results),
        not_run=sum(g.not_run for g in rows),
        mean_score=_mean([r.score for r in results if r.scored and r.score is not None]),
    )
    return RunSummary(tuple(rows), totals)


def _replace(g: GroupSummary, **kw: Any) -> GroupSummary:
    from dataclasses import replace

    return replace(g, **kw)
