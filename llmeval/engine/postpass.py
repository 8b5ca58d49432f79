"""The comparison pass: ``select-best`` / ``max-score`` once a case's results are all in.

promptfoo runs these after every other assertion, over the outputs of one test across
its prompts and providers. Here a *group* is one suite x case x repeat across the
planned models and prompts (in plan order: ties and output numbers follow it). The
runner journals each result with a deferred placeholder (``judge.compare``); after the
runner, inside the session, ``compare_groups`` decides each complete group and appends
one verdict per result to ``comparisons.jsonl`` (``store.comparisons``), which the one
journal reader applies. So:

- a resume recomputes only groups whose inputs changed (a fingerprint of members,
  outputs and assertions); a rerun's ``select-best`` judge calls are cache hits;
- a group with a planned member not run yet, or without an output (an error), is
  decided as skipped, kind ``partial_group``, until a resume completes it; a case
  with a single prompt x model is skipped, kind ``nothing_to_compare``;
- an interrupted or budget-stopped run makes no comparison judge calls (resumable);
- under ``--max-cost`` (``PassBudget``) a group's judge call is made only when its
  estimate (the members' shares, ``Coster.comparison_cost``, which the runner held
  back) still fits: else the pass stops as a budget stop and the group stays
  undecided for a resume. What the pass spends is added to the run's spend.

The pass's judge cost is added to the first compared result of the group.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmeval.domain.record import ERROR, SKIPPED, AssertionResult, CaseResult, ErrorInfo
from llmeval.domain.suite import AssertionSpec
from llmeval.engine.journal import read_journal
from llmeval.engine.plan import Key, Plan, WorkItem
from llmeval.judge.compare import COMPARED, comparison_pass
from llmeval.metrics.apply import case_verdict
from llmeval.metrics.base import ScoreContext
from llmeval.store import comparisons as store

PARTIAL = "partial_group"
NOTHING = "nothing_to_compare"
_CONCURRENT_GROUPS = 8

Group = tuple[str, str, int]  # suite, case id, repeat


@dataclass(frozen=True, slots=True)
class PassBudget:
    """``--max-cost`` for the comparison pass: the run's limit, and each item's share
    of its group's judge call (an upper bound)."""

    limit_usd: float
    share: Callable[[WorkItem], float]


def _compared(spec: AssertionSpec) -> bool:
    return spec.type in COMPARED


def _positions(r: CaseResult) -> tuple[int, ...]:
    return tuple(i for i, a in enumerate(r.assertions) if a.type.removeprefix("not-") in COMPARED)


def groups_of(plan: Plan, keys: set[Key]) -> dict[Group, list[WorkItem]]:
    """The planned items with a comparison assertion, per suite x case x repeat."""
    out: dict[Group, list[WorkItem]] = {}
    for item in plan.items:
        if item.key in keys and any(_compared(a.spec) for a in item.assertions):
            out.setdefault((item.suite.name, item.case.id, item.repeat), []).append(item)
    return out


def _fingerprint(members: Sequence[tuple[WorkItem, CaseResult | None]]) -> str:
    blob = json.dumps(
        [
            [
                list(item.key),
                store.basis(r) if r is not None else None,
                [repr((a.spec.name, a.spec.value, a.spec.threshold)) for a in item.assertions],
            ]
            for item, r in members
        ],
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def _skipped(r: CaseResult, kind: str, reason: str) -> list[AssertionResult]:
    return [
        AssertionResult(
            type=r.assertions[i].type,
            status=SKIPPED,
            score=None,
            reason=reason,
            weight=r.assertions[i].weight,
            metric=r.assertions[i].metric,
            kind=kind,
        )
        for i in _positions(r)
    ]


def _verdict(
    item: WorkItem,
    r: CaseResult,
    group: str,
    decided: Sequence[AssertionResult],
    cost: float | None = None,
    tokens: dict[str, int] | None = None,
) -> store.Verdict:
    positions = _positions(r)
    assertions = list(r.assertions)
    for i, a in zip(positions, decided, strict=False):
        assertions[i] = a
    status, score = case_verdict(item.case, assertions)
    bad = next((a for a in assertions if a.status == ERROR), None)
    return store.Verdict(
        key=r.key,
        basis=store.basis(r),
        group=group,
        positions=positions,
        assertions=tuple(decided),
        status=status,
        score=score,
        error=ErrorInfo(bad.kind or "scorer", bad.reason, bad.traceback) if bad else None,
        judge_cost_usd=cost,
        judge_tokens=tokens,
    )


async def _decide(
    members: list[tuple[WorkItem, CaseResult | None]],
    group: str,
    services: Any,
    stopped: bool,
    afford: Callable[[list[WorkItem]], float | None] = lambda items: 0.0,
    settle: Callable[[float, float], None] = lambda held, spent: None,
) -> list[store.Verdict]:
    present = [(i, r) for i, r in members if r is not None]
    compared = [(i, r) for i, r in present if r.output is not None]
    if len(members) < 2:
        why = "only one output of this case to compare (select-best / max-score need two)"
        return [_verdict(i, r, group, _skipped(r, NOTHING, why)) for i, r in compared]
    if len(compared) < len(members):
        why = (
            f"compared once every prompt x model of the case has an output "
            f"({len(compared)} of {len(members)} have; --resume completes it)"
        )
        return [_verdict(i, r, group, _skipped(r, PARTIAL, why)) for i, r in compared]
    if stopped:
        return []  # the run stopped early: no new judge calls; a resume decides it
    held = afford([i for i, _ in members])
    if held is None:
        return []  # over budget: undecided, a resume decides it
    first = compared[0][0]
    specs = [a.spec for a in first.assertions if _compared(a.spec)]
    others = [
        [a for a in r.assertions if a.type.removeprefix("not-") not in COMPARED]
        for _, r in compared
    ]
    outputs = [r.output or "" for _, r in compared]
    ctx = ScoreContext(
        output=outputs[0],
        case=first.case,
        messages=first.messages,
        model=first.model.alias,
        repeat=first.repeat,
    )
    svc = services.for_item()
    try:
        decided = await comparison_pass(specs, outputs, others, svc, ctx)
    except asyncio.CancelledError:
        raise
    except Exception as e:  # a comparison bug is these cases' error, never the run's
        msg = f"comparison pass crashed: {type(e).__name__}: {e}"
        decided = [
            [
                AssertionResult(type=r.assertions[p].type, status=ERROR, score=None, reason=msg,
                                kind="scorer")
                for p in _positions(r)
            ]
            for _, r in compared
        ]  # fmt: skip
    finally:
        settle(held, getattr(svc, "spent_usd", 0.0))
    out = []
    for n, ((item, r), results) in enumerate(zip(compared, decided, strict=True)):
        cost = svc.cost_usd if n == 0 else None
        tokens = svc.tokens if n == 0 else None
        out.append(_verdict(item, r, group, results, cost, tokens))
    return out


async def compare_groups(
    plan: Plan,
    keys: set[Key],
    journal: Path,
    services: Any,
    outcome: Any = None,
    budget: PassBudget | None = None,
) -> int:
    """Decide every comparison group of the run whose inputs changed since the last
    pass; append the verdicts beside ``journal``. Returns the verdicts written."""
    groups = groups_of(plan, keys)
    if not groups:
        return 0
    run_dir = journal.parent
    results = {r.key: r for r in read_journal(journal)}
    known = store.read(run_dir)
    stopped = getattr(outcome, "stop_reason", None) is not None
    gate = asyncio.Semaphore(_CONCURRENT_GROUPS)
    reserved = [0.0]  # judge calls in flight, by their estimates

    def afford(items: list[WorkItem]) -> float | None:
        if budget is None:
            return 0.0
        est = sum(budget.share(i) for i in items)
        spent = getattr(outcome, "spent_usd", 0.0)
        if spent + reserved[0] + est > budget.limit_usd + 1e-12:
            if outcome is not None:
                outcome.stop_reason = "budget"  # the usual stop: exit 3, resumable
            return None
        reserved[0] += est
        return est

    def settle(held: float, spent: float) -> None:
        reserved[0] -= held
        if outcome is not None:
            outcome.spent_usd += spent

    async def one(items: list[WorkItem]) -> list[store.Verdict]:
        members = [(i, results.get(i.key)) for i in items]
        group = _fingerprint(members)
        present = [r for _, r in members if r is not None]
        if present and all(
            (v := known.get(r.key)) is not None and v.group == group for r in present
        ):
            return []  # decided on these very inputs already
        async with gate:
            stopped_now = stopped or getattr(outcome, "stop_reason", None) == "budget"
            return await _decide(members, group, services, stopped_now, afford, settle)

    found = await asyncio.gather(*(one(items) for items in groups.values()))
    return store.append(run_dir, [v for vs in found for v in vs])
