"""Per-case aggregation over repeats: the unit that diffs and baselines pair on.

A case x model x prompt may have several repeats. Its aggregate status is ``pass``
or ``fail`` when every scored repeat agrees, ``flaky`` when they disagree, ``error``
when no repeat was scored but one errored, and ``skipped`` otherwise. Errors and
skips are excluded from pass rates and scores, as in the run summary.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from llmeval.domain.record import ERROR, FAIL, PASS, CaseResult

FLAKY = "flaky"
RESERVED_METRICS = ("pass_rate", "score")


def prompt_name(ref: str) -> str:
    """``support@v2`` -> ``support``."""
    return ref.split("@", 1)[0]


def metric_name(a_type: str, metric: str | None) -> str:
    """Assertion metric key: its ``metric`` name, else its type (never a reserved name)."""
    name = metric or a_type
    return f"assert:{name}" if name in RESERVED_METRICS else name


@dataclass(slots=True)
class CaseAgg:
    suite: str
    case_id: str
    model: str
    prompt: str  # full ref, e.g. support@v2
    prompt_sha: str = ""
    model_id: str = ""
    passes: int = 0
    fails: int = 0
    errors: int = 0
    skipped: int = 0
    scores: list[float] = field(default_factory=list)
    metric_scores: dict[str, list[float]] = field(default_factory=dict)
    shown: CaseResult | None = None  # the repeat worth showing: a failing one if any
    shown_rank: int = 99
    critical: bool = False
    results: list[CaseResult] = field(default_factory=list)

    @property
    def scored(self) -> int:
        return self.passes + self.fails

    @property
    def status(self) -> str:
        if self.scored == 0:
            return ERROR if self.errors else "skipped"
        if self.fails == 0:
            return PASS
        if self.passes == 0:
            return FAIL
        return FLAKY

    @property
    def output(self) -> str | None:
        return self.shown.output if self.shown is not None else None

    @property
    def pass_rate(self) -> float | None:
        return self.passes / self.scored if self.scored else None

    @property
    def score(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    def metric(self, name: str) -> float | None:
        vals = self.metric_scores.get(name)
        return sum(vals) / len(vals) if vals else None


_RANK = {FAIL: 0, ERROR: 1, PASS: 2}


def aggregate(results: Iterable[CaseResult]) -> dict[tuple[str, str, str, str], CaseAgg]:
    """Group results by (suite, case_id, model, prompt ref) and fold their repeats."""
    out: dict[tuple[str, str, str, str], CaseAgg] = {}
    for r in sorted(results, key=lambda r: r.key):
        k = (r.suite, r.case_id, r.model, r.prompt)
        agg = out.get(k)
        if agg is None:
            agg = out[k] = CaseAgg(r.suite, r.case_id, r.model, r.prompt, r.prompt_sha)
        agg.results.append(r)
        agg.model_id = agg.model_id or r.model_id
        agg.critical = agg.critical or "critical" in r.tags
        if r.status == PASS:
            agg.passes += 1
        elif r.status == FAIL:
            agg.fails += 1
        elif r.status == ERROR:
            agg.errors += 1
        else:
            agg.skipped += 1
        rank = _RANK.get(r.status, 3)
        if rank < agg.shown_rank:
            agg.shown, agg.shown_rank = r, rank
        if r.status not in (PASS, FAIL):
            continue  # errors and skips never count in scores
        if r.score is not None:
            agg.scores.append(float(r.score))
        for a in r.assertions:
            value = a.score if a.score is not None else _bool_score(a.passed)
            if value is not None:
                agg.metric_scores.setdefault(metric_name(a.type, a.metric), []).append(float(value))
    return out


def _bool_score(passed: bool | None) -> float | None:
    return None if passed is None else (1.0 if passed else 0.0)


def pairing_keys(
    base: dict[tuple[str, str, str, str], CaseAgg],
    cand: dict[tuple[str, str, str, str], CaseAgg],
) -> tuple[dict[tuple, tuple], dict[tuple, tuple]]:
    """Map each aggregate key to a pairing key (suite, case_id, model, prompt key).

    The prompt key is the prompt *name* so that ``support@v2`` pairs with
    ``support@v3``, unless a suite runs several versions of one prompt side by side
    (an A/B suite) in either run: then the full ref is the key.
    """
    versions: dict[tuple[str, str], set[str]] = defaultdict(set)
    for side in (base, cand):
        refs: dict[tuple[str, str], set[str]] = defaultdict(set)
        for suite, _c, _m, ref in side:
            refs[(suite, prompt_name(ref))].add(ref)
        for sk, rs in refs.items():
            versions[sk].add("multi" if len(rs) > 1 else "single")

    def key_of(k: tuple[str, str, str, str]) -> tuple[str, str, str, str]:
        suite, case_id, model, ref = k
        name = prompt_name(ref)
        pk = ref if "multi" in versions[(suite, name)] else name
        return (suite, case_id, model, pk)

    return ({k: key_of(k) for k in base}, {k: key_of(k) for k in cand})


def paired_outputs(
    base: Iterable[CaseResult], cand_keys: Iterable[tuple[str, str, str, str]]
) -> dict[tuple[str, str, str, str], str]:
    """The baseline output each candidate (suite, case, model, prompt ref) pairs with,
    paired exactly as the diff pairs them (``support@v2`` with ``support@v3``): what
    ``pairwise`` judges against."""
    b_agg = aggregate(base)
    c_stub = dict.fromkeys(cand_keys, None)
    b_keys, c_keys = pairing_keys(b_agg, c_stub)  # type: ignore[arg-type]
    by_pair = {
        b_keys[k]: agg.results[0].output
        for k, agg in b_agg.items()
        if agg.results and agg.results[0].output is not None
    }
    return {k: by_pair[p] for k, p in c_keys.items() if p in by_pair}
