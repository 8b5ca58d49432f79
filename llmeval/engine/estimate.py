"""The plan's expected cost: tokens per item, cache hits expected, dollars per model."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from llmeval.domain.project import Project
from llmeval.domain.request import CompletionRequest
from llmeval.engine.plan import Plan

OFFLINE = ("echo", "python")


def estimate_plan(project: Project, plan: Plan, cache_mode: str = "use") -> dict[str, Any]:
    """Per model: items, expected cache hits, estimated tokens and cost. Calls nothing."""
    from llmeval.providers.pricing import price_for
    from llmeval.providers.tokens import estimate_output_tokens, estimate_tokens

    cache = None
    if cache_mode in ("use", "replay") and any(
        s.provider not in OFFLINE for s in plan.models.values()
    ):
        from pathlib import Path

        from llmeval.providers.cache import ResponseCache

        path = Path(project.settings.cache_dir)
        cache = ResponseCache(path if path.is_absolute() else project.root / path, None)
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"items": 0, "cached": 0, "tokens_in": 0, "tokens_out": 0, "cost_usd": 0.0}
    )
    unpriced: set[str] = set()
    try:
        for item in plan.items:
            spec = item.model
            row = rows[spec.alias]
            row["items"] += 1
            if spec.provider in OFFLINE:
                continue
            if cache is not None:
                from llmeval.providers.cache import cache_key

                req = CompletionRequest(spec, item.messages, item.params, item.repeat)
                if cache.contains(cache_key(req, spec.base_url or spec.provider)):
                    row["cached"] += 1
                    continue
            tin = estimate_tokens(spec, item.messages)
            tout = estimate_output_tokens(spec)
            row["tokens_in"] += tin
            row["tokens_out"] += tout
            price = price_for(spec, spec.model)
            if price is None:
                unpriced.add(spec.alias)
            else:
                row["cost_usd"] += price.cost(tin, tout)
    finally:
        if cache is not None:
            cache.close()
    total = {
        k: sum(r[k] for r in rows.values())
        for k in ("items", "cached", "tokens_in", "tokens_out", "cost_usd")
    }
    remote = [r for a, r in rows.items() if plan.models[a].provider not in OFFLINE]
    return {
        # every call a provider would get is answered by the cache: CI can run keyless
        "replay_ready": all(r["cached"] == r["items"] for r in remote),
        "suites": [s.name for s in plan.suites],
        "models": {a: {**rows[a], "provider": plan.models[a].provider} for a in sorted(rows)},
        "total": total,
        "unpriced": sorted(unpriced),
    }
