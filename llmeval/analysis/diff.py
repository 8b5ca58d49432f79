"""Paired comparison of two runs (or a run and a baseline), case by case.

Cases pair on (suite, case_id, model, prompt name); repeats are folded per case
(see ``analysis.cases``). Per suite x model x prompt x metric the comparison gives
the paired mean difference with a seeded bootstrap interval, a p-value (McNemar exact
on pass/fail flips for ``pass_rate`` and for scores that are all 0/1, Wilcoxon
signed-rank for other scores), Holm-adjusted across every metric row, and per-run
intervals (Wilson for pass rates, Student-t for score means). Rows of one group with
identical paired values and p-value are the same test and count once in Holm.

Flaky cases (repeats disagree in either run) count in the means and intervals but
never in a p-value, so they cannot make a drop "significant" on their own.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from llmeval.analysis import stats
from llmeval.analysis.cases import FLAKY, CaseAgg, aggregate, pairing_keys
from llmeval.analysis.changes import IncomparableError, explain
from llmeval.analysis.comparison import CHANGES, CaseRow, Comparison, MetricRow, RunRef
from llmeval.domain.record import ERROR, FAIL, PASS, CaseResult

__all__ = [
    "CHANGES",
    "CaseRow",
    "Comparison",
    "IncomparableError",
    "MetricRow",
    "RunRef",
    "compare",
    "compare_runs",
]


def _ref(meta: Mapping[str, Any], results: Sequence[CaseResult]) -> RunRef:
    run_id = str(meta.get("run_id") or (results[0].run_id if results else ""))
    return RunRef(run_id, str(meta.get("label") or run_id))


def _with_inputs(meta: Mapping[str, Any], results: Sequence[CaseResult]) -> Mapping[str, Any]:
    """Fill prompts {ref: sha} and models {alias: {model_id}} from results if meta lacks them."""
    extra: dict[str, Any] = {}
    if not meta.get("prompts"):
        extra["prompts"] = {r.prompt: r.prompt_sha for r in results}
    if not meta.get("models"):
        extra["models"] = {r.model: {"model_id": r.model_id} for r in results if r.model_id}
    return {**meta, **extra} if extra else meta


def _critical_from_meta(meta: Mapping[str, Any]) -> set[tuple[str, str]]:
    suites = meta.get("suites")
    out: set[tuple[str, str]] = set()
    if isinstance(suites, Mapping):
        for name, v in suites.items():
            if isinstance(v, Mapping):
                out |= {(str(name), str(cid)) for cid in v.get("critical") or ()}
    return out


def _classify(b: CaseAgg | None, c: CaseAgg | None) -> str:
    if b is None:
        return "new"
    if c is None:
        return "removed"
    bs, cs = b.status, c.status
    if ERROR in (bs, cs):
        return "errored"
    if FLAKY in (bs, cs):
        return "flaky"
    if bs == PASS and cs == FAIL:
        return "regressed"
    if bs == FAIL and cs == PASS:
        return "fixed"
    return "unchanged"


def compare(
    base: Sequence[CaseResult],
    cand: Sequence[CaseResult],
    base_meta: Mapping[str, Any],
    cand_meta: Mapping[str, Any],
    *,
    allow_changed_judge: bool = False,
    seed: int = 0,
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    critical: Collection[tuple[str, str]] | None = None,
) -> Comparison:
    """Compare ``cand`` against ``base``; raise IncomparableError if judge/assertions changed.

    ``critical`` is a set of (suite, case_id); by default it is read from
    ``cand_meta["suites"][suite]["critical"]`` (a list of case ids) and from results
    tagged ``critical``.
    """
    b_agg, c_agg = aggregate(base), aggregate(cand)
    common_suites = {k[0] for k in b_agg} & {k[0] for k in c_agg}
    changes, blocking = explain(
        _with_inputs(base_meta, base), _with_inputs(cand_meta, cand), common_suites
    )
    if blocking and not allow_changed_judge:
        raise IncomparableError(
            "cannot compare these runs: "
            + "; ".join(blocking)
            + ". Save a new baseline, or allow it explicitly (--allow-changed-judge)."
        )
    crit = set(critical) if critical is not None else _critical_from_meta(cand_meta)
    b_keys, c_keys = pairing_keys(b_agg, c_agg)
    pairs: dict[tuple, list[CaseAgg | None]] = defaultdict(lambda: [None, None])
    for k, agg in b_agg.items():
        pairs[b_keys[k]][0] = agg
    for k, agg in c_agg.items():
        pairs[c_keys[k]][1] = agg

    rows: list[CaseRow] = []
    groups: dict[tuple[str, str, str], list[tuple[CaseAgg, CaseAgg]]] = defaultdict(list)
    labels: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for key in sorted(pairs):
        b, c = pairs[key]
        suite, case_id, model, pk = key
        shown = c if c is not None else b
        assert shown is not None
        rows.append(
            CaseRow(
                suite=suite,
                case_id=case_id,
                model=model,
                prompt=shown.prompt,
                change=_classify(b, c),
                base_status=b.status if b else None,
                cand_status=c.status if c else None,
                base_score=b.score if b else None,
                cand_score=c.score if c else None,
                base_output=b.output if b else None,
                cand_output=c.output if c else None,
                critical=(suite, case_id) in crit or shown.critical,
            )
        )
        if b is not None and c is not None:
            groups[(suite, model, pk)].append((b, c))
            labels[(suite, model, pk)].add(c.prompt)

    raw: list[dict[str, Any]] = []
    for g in sorted(groups):
        label = next(iter(labels[g])) if len(labels[g]) == 1 else g[2]
        for metric, d in _metric_stats(groups[g], confidence, n_resamples, seed):
            raw.append({"suite": g[0], "model": g[1], "prompt": label, "metric": metric, **d})
    # Rows of one group with the same paired values and the same p-value are one
    # hypothesis (e.g. score == pass/fail with a single assertion): Holm counts it once.
    signatures = [
        (r["suite"], r["model"], r["prompt"], r.pop("_values"), r["p_value"]) for r in raw
    ]
    unique = list(dict.fromkeys(signatures))
    adjusted = dict(zip(unique, stats.holm([sig[-1] for sig in unique]), strict=True))
    metrics = tuple(
        MetricRow(**r, p_adjusted=float(p), significant=bool(p < alpha))
        for r, sig in zip(raw, signatures, strict=True)
        if (p := adjusted[sig]) is not None
    )
    return Comparison(
        base=_ref(base_meta, base),
        cand=_ref(cand_meta, cand),
        changes=tuple(changes),
        metrics=metrics,
        cases=tuple(rows),
        alpha=alpha,
    )


def _metric_stats(
    pairs: list[tuple[CaseAgg, CaseAgg]], confidence: float, n_resamples: int, seed: int
) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    cis: dict[tuple[float, ...], tuple[float, float]] = {}  # same deltas, same interval

    def row(bv: list[float], cv: list[float], p: float, bci, cci) -> dict[str, Any]:
        deltas = [c - b for b, c in zip(bv, cv, strict=True)]
        key = tuple(deltas)
        if key not in cis:
            cis[key] = stats.paired_bootstrap_ci(deltas, confidence, n_resamples, seed)
        low, high = cis[key]
        bm, cm = sum(bv) / len(bv), sum(cv) / len(cv)
        return {
            "n": len(bv),
            "base_mean": bm,
            "cand_mean": cm,
            "delta": sum(deltas) / len(deltas),
            "ci_low": low,
            "ci_high": high,
            "p_value": p,
            "base_ci": tuple(bci),
            "cand_ci": tuple(cci),
            "_values": (tuple(bv), tuple(cv)),
        }

    pr = [(b, c) for b, c in pairs if b.pass_rate is not None and c.pass_rate is not None]
    if pr:
        flips_down = sum(1 for b, c in pr if b.status == PASS and c.status == FAIL)
        flips_up = sum(1 for b, c in pr if b.status == FAIL and c.status == PASS)
        out.append(
            (
                "pass_rate",
                row(
                    [b.pass_rate for b, _ in pr],  # type: ignore[misc]
                    [c.pass_rate for _, c in pr],  # type: ignore[misc]
                    stats.mcnemar_exact(flips_down, flips_up),
                    stats.wilson_interval(
                        sum(b.passes for b, _ in pr), sum(b.scored for b, _ in pr), confidence
                    ),
                    stats.wilson_interval(
                        sum(c.passes for _, c in pr), sum(c.scored for _, c in pr), confidence
                    ),
                ),
            )
        )

    def continuous(name: str, get) -> None:
        vals = [(get(b), get(c), FLAKY in (b.status, c.status)) for b, c in pairs]
        vals = [v for v in vals if v[0] is not None and v[1] is not None]
        if not vals:
            return
        bv, cv = [v[0] for v in vals], [v[1] for v in vals]
        stable = [(b, c) for b, c, flaky in vals if not flaky]
        if all(b in (0.0, 1.0) and c in (0.0, 1.0) for b, c in stable):
            # Paired binary outcomes: McNemar is the exact test (as for pass_rate).
            down = sum(1 for b, c in stable if b > c)
            p = stats.mcnemar_exact(down, sum(1 for b, c in stable if b < c))
        else:
            p = stats.wilcoxon_p([c - b for b, c in stable])
        out.append(
            (name, row(bv, cv, p, stats.mean_ci(bv, confidence), stats.mean_ci(cv, confidence)))
        )

    continuous("score", lambda a: a.score)
    names = sorted({m for b, c in pairs for m in b.metric_scores if m in c.metric_scores})
    for name in names:
        continuous(name, lambda a, name=name: a.metric(name))
    return out


def compare_runs(
    base: Sequence[CaseResult],
    cand: Sequence[CaseResult],
    base_meta: Mapping[str, Any],
    cand_meta: Mapping[str, Any],
    *,
    allow_changed: bool = False,
    alpha: float = 0.05,
    seed: int = 0,
    only_suites: Collection[str] | None = None,
) -> Comparison:
    """The comparison behind ``run --baseline``, ``diff`` and ``llmeval.compare``.

    Cases whose own assertions or expected value changed since the baseline are
    compared as new (and named in ``changes``) unless ``allow_changed``, which compares
    everything as it is. Raises IncomparableError when the judge or a suite's shared
    assertions changed.
    """
    from dataclasses import replace

    from llmeval.analysis.changes import without_changed

    if only_suites is not None:  # a run gated on a wider baseline: only its own suites
        base = [r for r in base if r.suite in only_suites]
    notes: list[str] = []
    if not allow_changed:
        base, notes = without_changed(list(base), base_meta, cand_meta)
    comparison = compare(
        base, cand, base_meta, cand_meta, allow_changed_judge=allow_changed, seed=seed, alpha=alpha
    )
    return replace(comparison, changes=comparison.changes + tuple(notes)) if notes else comparison
