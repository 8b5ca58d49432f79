"""The plan's expected cost: tokens per item, cache hits expected, dollars per model."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from llmeval.domain.project import Project
from llmeval.engine.plan import Plan


def estimate_plan(
    project: Project, plan: Plan, cache_mode: str = "use", batch: bool = False
) -> dict[str, Any]:
    """Per model: items, expected cache hits, estimated tokens and cost (at the batch
    price for models sent in batches: ``batch`` is the run's --batch). Calls nothing."""
    cache = None
    if cache_mode in ("use", "replay") and any(not s.is_local for s in plan.models.values()):
        from pathlib import Path

        from llmeval.providers.cache import ResponseCache

        path = Path(project.settings.cache_dir)
        cache = ResponseCache(path if path.is_absolute() else project.root / path, None)
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "items": 0,
            "cached": 0,
            "tokens_in": 0,
            "tokens_out": 0,
            "cost_usd": 0.0,
            "judge_cost_usd": 0.0,
            "batch": False,
        }
    )
    unpriced: set[str] = set()
    from llmeval.config.settings import resolve_model
    from llmeval.engine.costing import Coster

    recorded = {}
    if cache is not None:  # what earlier runs did in the plan's tool loops and conversations
        from llmeval.engine.recorded import recorded_histories
        from llmeval.store.runs import RunStore

        multistep = [i.key for i in plan.items if i.agenda is not None and i.agenda.max_calls > 1]
        recorded = recorded_histories(RunStore(project.root, project.settings.runs_dir), multistep)
    coster = Coster(
        cache=cache,
        resolve=lambda name: resolve_model(project.settings, name),
        default_judge=project.settings.judge,
        batch=batch,
        recorded=recorded,
    )
    try:
        for item in plan.items:
            spec = item.model
            row = rows[spec.alias]
            row["items"] += 1
            row["batch"] = coster.batched(spec)
            est = coster.estimate(item)
            row["judge_cost_usd"] += est.judge_cost_usd
            if spec.is_local:
                continue
            if est.cached:
                row["cached"] += 1
                continue
            row["tokens_in"] += est.tokens_in
            row["tokens_out"] += est.tokens_out
            if est.cost_usd is None:
                unpriced.add(spec.alias)
            else:
                row["cost_usd"] += est.cost_usd
    finally:
        if cache is not None:
            cache.close()
    total: dict[str, Any] = {
        k: sum(r[k] for r in rows.values())
        for k in ("items", "cached", "tokens_in", "tokens_out", "cost_usd", "judge_cost_usd")
    }
    # an unpriced model's cost is unknown, not zero: so is the total (the priced part stays)
    total["cost_usd_priced"] = total["cost_usd"]
    if unpriced:
        total["cost_usd"] = None
    for alias in unpriced:
        rows[alias]["cost_usd"] = None
    remote = [r for a, r in rows.items() if not plan.models[a].is_local]
    return {
        # every call a provider would get is answered by the cache: CI can run keyless
        "replay_ready": all(r["cached"] == r["items"] for r in remote),
        "suites": [s.name for s in plan.suites],
        "breakdown": breakdown(plan),
        "models": {a: {**rows[a], "provider": plan.models[a].provider} for a in sorted(rows)},
        "total": total,
        "unpriced": sorted(unpriced),
    }


def breakdown(plan: Plan) -> list[dict[str, Any]]:
    """Per suite: cases × models × prompts × repeats = results, from the items themselves.

    One product per suite, because suites differ in cases, models and prompts: a single
    line over all suites (3 suites × 100 cases × ...) would not multiply out.
    """
    per: dict[str, dict[str, set[Any]]] = {}
    counts: dict[str, int] = defaultdict(int)
    for item in plan.items:
        sets = per.setdefault(
            item.suite.name, {"cases": set(), "models": set(), "prompts": set(), "repeats": set()}
        )
        sets["cases"].add(item.case.id)
        sets["models"].add(item.model.alias)
        sets["prompts"].add(item.prompt.ref)
        sets["repeats"].add(item.repeat)
        counts[item.suite.name] += 1
    return [
        {"suite": name, **{k: len(v) for k, v in sets.items()}, "results": counts[name]}
        for name, sets in per.items()
    ]
