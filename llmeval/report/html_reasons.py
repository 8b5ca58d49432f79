"""Why, in the HTML report: a case's failing assertions, the skipped assertions, and
what the gate checked.

Pure functions from results, the summary and the stored policies to plain dicts the
template prints. Nothing is decided here: the verdict is ``analysis.gate``'s, the
floors are ``gate.pass_rate_floor``'s, skipped assertions are
``record.skipped_assertions``'s; this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmeval.domain.record import CaseResult, skipped_assertions

REASON_CHARS = 300  # per line in a list; the case view has the full text
WHY_LIMIT = 5  # failing assertions listed per row, then "and N more"
SKIPPED_LIMIT = 100


def _cut(text: str, n: int = REASON_CHARS) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def why(r: CaseResult | None) -> dict[str, Any]:
    """The error and every failing assertion (type, turn, reason) of one result."""
    if r is None:
        return {"error": None, "failures": [], "more": 0}
    failing = r.failing
    return {
        "error": _cut(f"{r.error.kind}: {r.error.message}") if r.error else None,
        "failures": [
            {
                "type": a.type,
                "status": a.status,
                "turn": None if a.turn is None else a.turn + 1,  # shown 1-based
                "reason": _cut(a.reason or ""),
            }
            for a in failing[:WHY_LIMIT]
        ],
        "more": max(0, len(failing) - WHY_LIMIT),
    }


def skipped(results: Sequence[CaseResult], keys: Sequence[str]) -> dict[str, Any]:
    """Every skipped assertion, one row per (suite, model, type, kind, reason) naming
    its cases: 26 judge assertions skipped for one missing judge read as one line."""
    key_of = {id(r): k for r, k in zip(results, keys, strict=True)}
    pairs = skipped_assertions(results)
    groups: dict[tuple[str, str, str, str, str], list[dict[str, Any]]] = {}
    for r, a in pairs:
        g = (r.suite, r.model, a.type, a.kind or "", a.reason or "")
        name = r.case_id if not r.repeat else f"{r.case_id} (repeat {r.repeat})"
        groups.setdefault(g, []).append({"case_id": name, "key": key_of.get(id(r))})
    return {
        "total": len(pairs),
        "groups": [
            {
                "suite": suite,
                "model": model,
                "type": a_type,
                "kind": kind,
                "reason": _cut(reason),
                "cases": cases[:SKIPPED_LIMIT],
                "more": max(0, len(cases) - SKIPPED_LIMIT),
            }
            for (suite, model, a_type, kind, reason), cases in sorted(groups.items())
        ],
    }


def gate_checks(
    groups: Sequence[Mapping[str, Any]],
    policies: Mapping[str, Any] | None,
    comparison: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Per suite x model x prompt: what the gate compared and against which policy.

    The figures are the summary's and the comparison's; the floor and the policy are
    the gate's own (``pass_rate_floor`` over the policies the run was made with)."""
    from llmeval.analysis.gate import Policies, pass_rate_floor
    from llmeval.analysis.summarize import GroupSummary

    pols = Policies.from_json(policies if isinstance(policies, Mapping) else None)
    cases = (comparison or {}).get("cases") or ()
    compared = {str(c.get("suite", "")) for c in cases}
    drops = {
        (str(m.get("suite")), str(m.get("model")), str(m.get("prompt"))): m
        for m in (comparison or {}).get("metrics") or ()
        if m.get("metric") == "pass_rate"
    }
    rows = []
    for raw in groups:
        g = GroupSummary.from_json(raw)
        pol = pols.for_suite(g.suite)
        m = drops.get((g.suite, g.model, g.prompt))
        rows.append(
            {
                "suite": g.suite,
                "model": g.model,
                "prompt": g.prompt,
                "n": g.n,
                "passed": g.passed,
                "scored": g.scored,
                "pass_rate": g.pass_rate,
                "floor": pass_rate_floor(g, pol, g.suite in compared),
                "errors": g.errors,
                "compared": g.suite in compared,
                "base_rate": m.get("base_mean") if m else None,
                "delta": m.get("delta") if m else None,
                "p_adjusted": m.get("p_adjusted") if m else None,
                "pairs": m.get("n") if m else None,
                "policy": _policy(pol),
            }
        )
    shared = {r["policy"] for r in rows}
    return {"rows": rows, "policy": shared.pop() if len(shared) == 1 else None}


def _policy(pol: Any) -> str:
    text = (
        f"alpha {pol.alpha:g} · min_effect {100 * pol.min_effect:.1f} points · "
        f"max_error_rate {100 * pol.max_error_rate:.1f}%"
    )
    if pol.max_regressions is not None:
        text += f" · max_regressions {pol.max_regressions}"
    return text
