"""The CI gate: decide from a comparison (optional) and the run summary whether to fail.

It fails when
  1. a ``critical`` case went pass -> fail;
  2. a metric dropped significantly (Holm-adjusted p < alpha) by at least min_effect;
  3. a pass rate is below its min_pass_rate (suite, else global; without a baseline
     for the suite the default is 1.0: every case must pass, as with pytest);
  4. the error rate of a suite x model x prompt exceeds max_error_rate.
Reasons come one line each in that order. Flaky cases never fail it; they are listed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from llmeval.domain.project import GatePolicy

if TYPE_CHECKING:
    from llmeval.analysis.diff import Comparison, MetricRow

_EPS = 1e-12
_POLICY_KEYS = {f.name for f in dataclasses.fields(GatePolicy)}


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """What the gate needs of one suite x model x prompt summary group.

    ``decide`` accepts these, dicts, or any object with these attributes.
    ``n`` counts every result (errors and skips included); ``pass_rate`` defaults to
    passed / (passed + failed).
    """

    suite: str
    model: str
    prompt: str
    n: int
    passed: int
    failed: int
    errors: int = 0
    skipped: int = 0
    pass_rate: float | None = None
    min_pass_rate: float | None = None
    flaky: tuple[str, ...] = ()  # case ids whose repeats disagree (summary "repeats.flaky")
    failed_cases: tuple[str, ...] = ()
    error_cases: tuple[str, ...] = ()

    @classmethod
    def coerce(cls, g: Any) -> GroupSummary:
        if isinstance(g, GroupSummary):
            return g

        def get(name: str, default: Any = None) -> Any:
            if isinstance(g, Mapping):
                return g.get(name, default)
            return getattr(g, name, default)

        return cls(
            suite=str(get("suite", "")),
            model=str(get("model", "")),
            prompt=str(get("prompt", "")),
            n=int(get("n", 0) or 0),
            passed=int(get("passed", 0) or 0),
            failed=int(get("failed", 0) or 0),
            errors=int(get("errors", 0) or 0),
            skipped=int(get("skipped", 0) or 0),
            pass_rate=get("pass_rate"),
            min_pass_rate=get("min_pass_rate"),
            flaky=tuple((get("repeats") or {}).get("flaky") or get("flaky") or ()),
            failed_cases=tuple(get("failed_cases") or ()),
            error_cases=tuple(get("error_cases") or ()),
        )

    @property
    def rate(self) -> float | None:
        if self.pass_rate is not None:
            return float(self.pass_rate)
        scored = self.passed + self.failed
        return self.passed / scored if scored else None


@dataclass(frozen=True, slots=True)
class GateResult:
    passed: bool
    reasons: tuple[str, ...] = ()
    flaky: tuple[str, ...] = ()  # "suite/case_id [model, prompt]"
    errors_over_budget: bool = False  # lets the CLI pick exit 3 (incomplete) over 1

    def to_json(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "reasons": list(self.reasons),
            "flaky": list(self.flaky),
            "errors_over_budget": self.errors_over_budget,
        }


def suite_policy(
    policy: GatePolicy, suite_policies: Mapping[str, Any] | None, suite: str
) -> GatePolicy:
    """The global policy overridden by a suite's ``gate:`` mapping (or GatePolicy)."""
    override = (suite_policies or {}).get(suite)
    if override is None:
        return policy
    if isinstance(override, GatePolicy):
        return override
    keys = {k: v for k, v in dict(override).items() if k in _POLICY_KEYS and v is not None}
    return dataclasses.replace(policy, **keys)


def _where(suite: str, model: str, prompt: str) -> str:
    return f"{suite} [{model}, {prompt}]"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _fmt(metric: str, x: float) -> str:
    return _pct(x) if metric == "pass_rate" else f"{x:.3f}"


def _fmt_delta(metric: str, d: float) -> str:
    return f"{100 * d:+.1f} points" if metric == "pass_rate" else f"{d:+.3f}"


def decide(
    comparison: Comparison | None,
    summary_groups: Iterable[Any],
    policy: GatePolicy,
    suite_policies: Mapping[str, Any] | None = None,
) -> GateResult:
    groups = [GroupSummary.coerce(g) for g in summary_groups]
    critical: list[str] = []
    drops: list[tuple[float, str]] = []
    floors: list[str] = []
    budget: list[str] = []
    flaky: list[str] = []
    compared_suites: set[str] = set()

    if comparison is not None:
        compared_suites = comparison.suites
        for c in comparison.cases:
            where = f"{c.suite}/{c.case_id} [{c.model}, {c.prompt}]"
            if c.change == "regressed" and c.critical:
                critical.append(f"critical case {where} went pass → fail")
            elif c.change == "flaky":
                flaky.append(where)
        # Rows of one group with the same numbers (score == pass/fail with one
        # assertion) are one drop: one reason naming every metric.
        same: dict[tuple, list[MetricRow]] = {}
        for m in comparison.metrics:
            pol = suite_policy(policy, suite_policies, m.suite)
            if m.p_adjusted < pol.alpha and -m.delta >= pol.min_effect - _EPS:
                key = (m.suite, m.model, m.prompt, m.n, m.base_mean, m.cand_mean, m.p_adjusted)
                same.setdefault(key, []).append(m)
        for rows in same.values():
            m = rows[0]
            also = f"; same drop in {', '.join(r.metric for r in rows[1:])}" if rows[1:] else ""
            drops.append(
                (
                    m.delta,
                    f"{_where(m.suite, m.model, m.prompt)}: {m.metric} dropped "
                    f"{_fmt(m.metric, m.base_mean)} → {_fmt(m.metric, m.cand_mean)} "
                    f"({_fmt_delta(m.metric, m.delta)}, 95% CI "
                    f"[{_fmt_delta(m.metric, m.ci_low)}, {_fmt_delta(m.metric, m.ci_high)}], "
                    f"p_adj={m.p_adjusted:.3g}, n={m.n}{also})",
                )
            )

    over_budget = False
    for g in groups:
        if g.suite not in compared_suites:  # else the comparison already listed them
            flaky += [f"{g.suite}/{c} [{g.model}, {g.prompt}]" for c in g.flaky]
        pol = suite_policy(policy, suite_policies, g.suite)
        floor = g.min_pass_rate if g.min_pass_rate is not None else pol.min_pass_rate
        if floor is None and g.suite not in compared_suites:
            floor = 1.0  # no baseline for this suite: every case must pass
        rate = g.rate
        if floor is not None and rate is not None and rate < floor - _EPS:
            floors.append(
                f"{_where(g.suite, g.model, g.prompt)}: pass rate {_pct(rate)} "
                f"({g.passed}/{g.passed + g.failed}) below min_pass_rate {_pct(floor)}"
            )
        if g.n > 0 and g.errors / g.n > pol.max_error_rate + _EPS:
            over_budget = True
            budget.append(
                f"{_where(g.suite, g.model, g.prompt)}: error rate {_pct(g.errors / g.n)} "
                f"({g.errors}/{g.n}) exceeds max_error_rate {_pct(pol.max_error_rate)}"
            )

    reasons = critical + [r for _, r in sorted(drops, key=lambda d: d[0])] + floors + budget
    return GateResult(
        passed=not reasons,
        reasons=tuple(reasons),
        flaky=tuple(flaky),
        errors_over_budget=over_budget,
    )
