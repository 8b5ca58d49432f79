"""The verdict: the one answer to "did this change make things worse?".

``verdict()`` is the only place that decides. ``run``, ``run --baseline``, ``diff``,
``report``, markdown, JUnit, the HTML report, ``--json``, run.json and the Python API
all call it and only render what it returns.

It fails (exit 1) when
  1. a ``critical`` case went pass -> fail;
  2. a metric dropped significantly (Holm-adjusted p < alpha) by at least min_effect;
  3. more than ``max_regressions`` non-flaky cases went pass -> fail;
  4. a pass rate is below its min_pass_rate (suite, else global; without a baseline the
     default is 1.0: every case must pass, as with pytest), or a case's own
     min_pass_rate over its repeats;
  5. errors that more calls cannot fix (the target raised, a scorer crashed, a malformed
     request) exceed max_error_rate;
  6. a baseline was given but shares no case with the run.
It is incomplete (exit 3) — only when nothing above failed — when more calls could
change the answer: provider errors over max_error_rate, results not run, replay misses,
and under CI, assertions skipped because their judge (or moderation) model is
unavailable (unless allowed). An interrupted run exits 2. Precedence: 1 > 2 > 3 > 0.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from llmeval.domain.project import GatePolicy
from llmeval.domain.record import ERROR, FAIL, PASS, SKIPPED, UNAVAILABLE, CaseResult

if TYPE_CHECKING:
    from llmeval.analysis.comparison import Comparison, MetricRow
    from llmeval.analysis.summarize import GroupSummary, RunSummary

_EPS = 1e-12
_POLICY_KEYS = {f.name for f in dataclasses.fields(GatePolicy)}

OK, GATE_FAILED, INTERRUPTED, INCOMPLETE = 0, 1, 2, 3  # the exit codes (cli.exits)

Status = Literal["passed", "failed", "interrupted", "incomplete"]


@dataclass(frozen=True, slots=True)
class Reason:
    kind: str  # critical | drop | max_regressions | min_pass_rate | case_min_pass_rate |
    # errors | no_pairs | errors_retryable | not_run | skipped
    message: str
    blocking: Literal["fail", "incomplete"] = "fail"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "blocking": self.blocking}


@dataclass(frozen=True, slots=True)
class Policies:
    """The gate policies a run was made with: global, per suite, per case.

    Stored in run.json, so ``diff`` and ``report`` judge a run by the policy it ran with.
    """

    default: GatePolicy = field(default_factory=GatePolicy)
    suites: Mapping[str, GatePolicy] = field(default_factory=dict)
    case_floors: Mapping[tuple[str, str], float] = field(default_factory=dict)

    def for_suite(self, suite: str) -> GatePolicy:
        return self.suites.get(suite, self.default)

    @classmethod
    def build(
        cls, default: GatePolicy, suites: Iterable[Any], case_floors: bool = True
    ) -> Policies:
        """From a GatePolicy and Suite objects (their ``gate:`` and ``min_pass_rate``)."""
        per: dict[str, GatePolicy] = {}
        floors: dict[tuple[str, str], float] = {}
        for s in suites:
            over = {k: v for k, v in dict(s.gate or {}).items() if k in _POLICY_KEYS}
            if s.min_pass_rate is not None:
                over.setdefault("min_pass_rate", s.min_pass_rate)
            if over:
                per[s.name] = dataclasses.replace(default, **over)
            for c in s.cases if case_floors else ():
                if c.min_pass_rate is not None:
                    floors[(s.name, c.id)] = c.min_pass_rate
        return cls(default, per, floors)

    def to_json(self) -> dict[str, Any]:
        return {
            "default": dataclasses.asdict(self.default),
            "suites": {k: dataclasses.asdict(v) for k, v in sorted(self.suites.items())},
            "cases": {f"{s}/{c}": v for (s, c), v in sorted(self.case_floors.items())},
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> Policies:
        d = d or {}

        def pol(x: Mapping[str, Any]) -> GatePolicy:
            return GatePolicy(**{k: v for k, v in x.items() if k in _POLICY_KEYS})

        floors = {}
        for key, v in (d.get("cases") or {}).items():
            s, _, c = str(key).partition("/")
            floors[(s, c)] = float(v)
        return cls(
            pol(d.get("default") or {}),
            {k: pol(v) for k, v in (d.get("suites") or {}).items()},
            floors,
        )


@dataclass(frozen=True, slots=True)
class RunState:
    """How the run ended and where it was judged (what the results alone do not say)."""

    not_run: int = 0
    stop_reason: str | None = None  # interrupted | budget | None
    ci: bool = False  # judged under CI: unavailable judges make the run incomplete
    allow_skipped: bool = False

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, d: Mapping[str, Any] | None) -> RunState:
        d = d or {}
        return cls(**{k: d[k] for k in ("not_run", "stop_reason", "ci", "allow_skipped") if k in d})


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    exit_code: int
    reasons: tuple[Reason, ...] = ()
    notes: tuple[str, ...] = ()  # what was compared, what the gate can see, what moved
    flaky: tuple[str, ...] = ()  # "suite/case_id [model, prompt]"
    baseline: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def headline(self) -> str:
        return {
            "passed": "PASSED",
            "failed": "FAILED",
            "interrupted": "INTERRUPTED",
            "incomplete": "INCOMPLETE",
        }[self.status]

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "reasons": [r.message for r in self.reasons],
            "reason_kinds": [r.kind for r in self.reasons],
            "notes": list(self.notes),
            "flaky": list(self.flaky),
            "baseline": self.baseline,
        }


def _where(suite: str, model: str, prompt: str) -> str:
    return f"{suite} [{model}, {prompt}]"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _fmt(metric: str, x: float) -> str:
    return _pct(x) if metric == "pass_rate" else f"{x:.3f}"


def _fmt_delta(metric: str, d: float) -> str:
    return f"{100 * d:+.1f} points" if metric == "pass_rate" else f"{d:+.3f}"


def _shown(items: Sequence[str], n: int = 20) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def verdict(
    results: Sequence[CaseResult],
    summary: RunSummary,
    policies: Policies,
    state: RunState = RunState(),
    comparison: Comparison | None = None,
    *,
    baseline: str | None = None,
) -> Verdict:
    """The complete verdict of a run, optionally against a baseline comparison."""
    fail: list[Reason] = []
    incomplete: list[Reason] = []
    notes: list[str] = []
    flaky: list[str] = []
    compared: set[str] = set()

    if comparison is not None:
        compared = comparison.suites
        fail += _comparison_reasons(comparison, policies, notes, flaky)
        paired = [c for c in comparison.cases if c.change not in ("new", "removed")]
        if not paired and results:
            # e.g. a renamed model alias: a gate that compared nothing must not pass
            fail.append(
                Reason(
                    "no_pairs",
                    f"the baseline ({baseline or comparison.base.label}) shares no case with "
                    "this run (same suite, case id, model and prompt name): nothing was compared",
                )
            )

    for g in summary.groups:
        if g.suite not in compared:  # else the comparison already listed them
            flaky += [f"{g.suite}/{c} [{g.model}, {g.prompt}]" for c in g.flaky]
        fail += _floor(g, policies.for_suite(g.suite), g.suite in compared)
    fail += _case_floors(results, policies)
    errs_fail, errs_incomplete = _error_budget(results, summary, policies)
    fail += errs_fail
    incomplete += errs_incomplete
    if state.not_run:
        why = state.stop_reason or "provider stopped"
        incomplete.insert(
            0, Reason("not_run", f"{state.not_run} results not run ({why})", "incomplete")
        )
    elif state.stop_reason == "budget":  # all ran; the comparison pass stopped on budget
        incomplete.insert(
            0, Reason("not_run", "comparison pass not finished (budget)", "incomplete")
        )
    skipped = _skipped(results)
    for line in skipped:
        if state.ci and not state.allow_skipped and line[0]:
            incomplete.append(
                Reason("skipped", line[1] + " (CI: --allow-skipped to accept)", "incomplete")
            )
        else:
            notes.append(line[1])

    if fail:
        status: Status = "failed"
        code = GATE_FAILED
    elif state.stop_reason == "interrupted":
        status, code = "interrupted", INTERRUPTED
    elif incomplete:
        status, code = "incomplete", INCOMPLETE
    else:
        status, code = "passed", OK
    return Verdict(
        status=status,
        exit_code=code,
        reasons=tuple(fail + incomplete),
        notes=tuple(notes),
        flaky=tuple(flaky),
        baseline=baseline,
    )


def _comparison_reasons(
    comparison: Comparison, policies: Policies, notes: list[str], flaky: list[str]
) -> list[Reason]:
    from llmeval.analysis.stats import mcnemar_min_flips

    out: list[Reason] = []
    regressed: dict[tuple[str, str, str], list[str]] = {}
    for c in comparison.cases:
        where = f"{c.suite}/{c.case_id} [{c.model}, {c.prompt}]"
        if c.change == "regressed":
            regressed.setdefault((c.suite, c.model, c.prompt), []).append(c.case_id)
            if c.critical:
                out.append(Reason("critical", f"critical case {where} went pass → fail"))
        elif c.change == "flaky":
            flaky.append(where)
    # Rows of one group with the same numbers (score == pass/fail with one assertion)
    # are one drop: one reason naming every metric.
    same: dict[tuple[Any, ...], list[MetricRow]] = {}
    drops: list[tuple[float, str]] = []
    for m in comparison.metrics:
        pol = policies.for_suite(m.suite)
        if m.p_adjusted < pol.alpha and -m.delta >= pol.min_effect - _EPS:
            key = (m.suite, m.model, m.prompt, m.n, m.base_mean, m.cand_mean, m.p_adjusted)
            same.setdefault(key, []).append(m)
        if m.metric == "pass_rate":
            notes.append(
                f"{_where(m.suite, m.model, m.prompt)}: pass rate {_pct(m.base_mean)} → "
                f"{_pct(m.cand_mean)} ({_fmt_delta(m.metric, m.delta)}, p_adj={m.p_adjusted:.3g}, "
                f"n={m.n}; fails at a significant drop ≥ {100 * pol.min_effect:.1f} points, "
                f"alpha {pol.alpha:g})"
            )
            # what the gate can see: the smallest significant drop at this n
            ups = sum(
                1
                for c in comparison.cases
                if (c.suite, c.model, c.prompt) == (m.suite, m.model, m.prompt)
                and c.change == "fixed"
            )
            k = mcnemar_min_flips(pol.alpha, ups)
            if m.n and (k is None or k / m.n > pol.min_effect + _EPS):
                seen = (
                    "no drop at all"
                    if k is None or k > m.n
                    else (f"only a drop of ≥ {100 * k / m.n:.1f} points ({k} of {m.n} cases)")
                )
                notes.append(
                    f"{_where(m.suite, m.model, m.prompt)}: with n={m.n} the gate can detect "
                    f"{seen} at alpha {pol.alpha:g}, more than min_effect "
                    f"{100 * pol.min_effect:.1f} points; set max_regressions to gate on counts"
                )
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
    out += [Reason("drop", r) for _, r in sorted(drops, key=lambda d: d[0])]
    for (suite, model, prompt), ids in sorted(regressed.items()):
        limit = policies.for_suite(suite).max_regressions
        where = _where(suite, model, prompt)
        if limit is not None and len(ids) > limit:
            out.append(
                Reason(
                    "max_regressions",
                    f"{where}: {len(ids)} cases went pass → fail, more than max_regressions "
                    f"{limit}: {_shown(sorted(ids))}",
                )
            )
        else:
            notes.append(f"{where}: {len(ids)} regressed (pass → fail): {_shown(sorted(ids))}")
    return out


def pass_rate_floor(g: GroupSummary, pol: GatePolicy, compared: bool) -> float | None:
    """The pass rate a group must reach (the report shows it when the gate passes)."""
    floor = g.min_pass_rate if g.min_pass_rate is not None else pol.min_pass_rate
    if floor is None and not compared:
        floor = 1.0  # no baseline for this suite: every case must pass
    return floor


def _floor(g: GroupSummary, pol: GatePolicy, compared: bool) -> list[Reason]:
    floor = pass_rate_floor(g, pol, compared)
    rate = g.pass_rate
    if floor is None or rate is None or rate >= floor - _EPS:
        return []
    return [
        Reason(
            "min_pass_rate",
            f"{_where(g.suite, g.model, g.prompt)}: pass rate {_pct(rate)} "
            f"({g.passed}/{g.scored}) below min_pass_rate {_pct(floor)}",
        )
    ]


def _case_floors(results: Sequence[CaseResult], policies: Policies) -> list[Reason]:
    """Cases that set their own ``min_pass_rate`` (over repeats) and fall below it."""
    floors = policies.case_floors
    if not floors:
        return []
    tally: dict[tuple[str, str, str, str], list[bool]] = {}
    for r in results:
        if (r.suite, r.case_id) in floors and r.status in (PASS, FAIL):
            tally.setdefault((r.suite, r.case_id, r.model, r.prompt), []).append(r.status == PASS)
    out = []
    for (suite, case, model, prompt), v in sorted(tally.items()):
        rate, floor = sum(v) / len(v), floors[(suite, case)]
        if rate < floor - _EPS:
            out.append(
                Reason(
                    "case_min_pass_rate",
                    f"{suite}/{case} [{model}, {prompt}]: passed {sum(v)}/{len(v)} repeats "
                    f"({rate:.0%}), below its min_pass_rate {floor:.0%}",
                )
            )
    return out


def _error_budget(
    results: Sequence[CaseResult], summary: RunSummary, policies: Policies
) -> tuple[list[Reason], list[Reason]]:
    """Errors over max_error_rate: a failure when they are the candidate's own (target,
    scorer, bad request), incomplete when more calls could fix them (provider, replay)."""
    from llmeval.domain.record import is_retryable

    ids: dict[tuple[str, str, str, bool], set[str]] = {}
    for r in results:
        if r.status == ERROR:
            can_retry = r.error is not None and r.error.retryable
            ids.setdefault((r.suite, r.model, r.prompt, can_retry), set()).add(r.case_id)
    fail: list[Reason] = []
    incomplete: list[Reason] = []
    for g in summary.groups:
        if not g.n or not g.errors:
            continue
        budget = policies.for_suite(g.suite).max_error_rate
        if g.errors / g.n <= budget + _EPS:
            continue
        kinds = g.error_kinds or {"error": g.errors}
        retry = sum(n for k, n in kinds.items() if is_retryable(k))
        own = g.errors - retry
        where = _where(g.suite, g.model, g.prompt)
        kinds_s = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items()))
        head = (
            f"{where}: error rate {_pct(g.errors / g.n)} ({g.errors}/{g.n}; {kinds_s}) "
            f"exceeds max_error_rate {_pct(budget)}"
        )
        key = (g.suite, g.model, g.prompt)
        if own and own / g.n > budget + _EPS:
            cases = sorted(ids.get((*key, False), ()))
            tail = f": {_shown(cases)}" if cases else ""
            fail.append(Reason("errors", f"{head}; resuming cannot fix these{tail}"))
        if retry:
            cases = sorted(ids.get((*key, True), ()))
            tail = f": {_shown(cases)}" if cases else ""
            incomplete.append(
                Reason(
                    "errors_retryable",
                    f"{head}; more calls could fix these (--resume){tail}",
                    "incomplete",
                )
            )
    return fail, incomplete


def _skipped(results: Sequence[CaseResult]) -> list[tuple[bool, str]]:
    """(unavailable?, line) per (assertion type, reason): skipped assertions are never
    silent. Unavailable judges/moderation are the ones CI must not pass over."""
    counts: Counter[tuple[str, str, bool]] = Counter()
    for r in results:
        for a in r.assertions:
            if a.status == SKIPPED:
                counts[(a.type, a.reason, a.kind == UNAVAILABLE)] += 1
    out = []
    for (a_type, reason, unavailable), n in sorted(counts.items()):
        out.append(
            (unavailable, f"{n} {a_type} assertion{'s' if n != 1 else ''} skipped: {reason}")
        )
    return out
