"""What a run records about itself in run.json: versions, fingerprints, judge, models."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import llmeval
from llmeval.analysis.gate import Policies
from llmeval.config.settings import resolve_model
from llmeval.domain.model import ModelSpec
from llmeval.domain.project import Project
from llmeval.domain.request import Completion
from llmeval.engine.plan import Plan
from llmeval.errors import ConfigError
from llmeval.store.runs import git_sha

if TYPE_CHECKING:
    from llmeval.engine.session import RunConfig


_KEYS: dict[int, tuple[Any, str]] = {}


def _spec_key(a: Any) -> str:
    """Canonical text of one assertion; memoised, since defaults are one object per suite."""
    hit = _KEYS.get(id(a))
    if hit is not None and hit[0] is a:
        return hit[1]
    import json

    key = json.dumps(
        [a.name, a.value, a.threshold, a.weight, a.metric, a.options], sort_keys=True, default=str
    )
    _KEYS[id(a)] = (a, key)  # keeps `a` alive, so its id is not reused
    return key


def case_fingerprint(case: Any) -> str:
    """What scores one case: its assertions and expected value. An edit here makes the
    case incomparable with its baseline (it is compared as new, and reported)."""
    import hashlib
    import json

    blob = json.dumps(
        [sorted(_spec_key(a) for a in case.assertions), case.expected, case.threshold],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def fingerprints(plan: Plan) -> dict[str, Any]:
    """Per suite: a hash of what scores *every* case — the shared (defaults) assertions and
    all judge assertions. A change there makes a baseline comparison meaningless; an edit
    to one case's own assertions only shows up as that case's result."""
    import hashlib

    from llmeval.metrics import registry

    out = {}
    for suite in plan.suites:
        shared: set[Any] | None = None
        judged: set[str] = set()
        for c in suite.cases:
            specs = set(c.assertions)
            shared = specs if shared is None else shared & specs
            for a in c.assertions:
                try:
                    if registry.get(a.type).judge:
                        judged.add(_spec_key(a))
                except Exception:
                    pass
        keys = sorted({_spec_key(a) for a in shared or ()} | judged)
        blob = "\n".join([*keys, repr(sorted(suite.gate.items()))]).encode()
        out[suite.name] = {
            "path": suite.path,
            "fingerprint": hashlib.sha256(blob).hexdigest()[:16],
            "cases": {c.id: case_fingerprint(c) for c in suite.cases},
            "min_pass_rate": suite.min_pass_rate,
            "critical": sorted(c.id for c in suite.cases if c.critical),
        }
    return out


def build_manifest(
    project: Project,
    plan: Plan,
    run_id: str,
    cfg: RunConfig,
    started: float,
    model_ids: dict[str, set[str]],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "llmeval_version": llmeval.__version__,
        "python": sys.version.split()[0],
        "git_sha": git_sha(project.root),
        "config_sha": project.settings.sha,
        "started_at": started,
        "selection": cfg.selection.to_json(),
        "cache_mode": cfg.cache_mode,
        "batch": cfg.batch,  # --batch: resumed the same way (providers.batching)
        "max_cost_usd": cfg.max_cost_usd
        if cfg.max_cost_usd is not None
        else (previous or {}).get("max_cost_usd"),
        "judge": judge_meta(project, plan),
        "suites": fingerprints(plan),
        "models": model_entries(plan, model_ids),
        "prompts": {ref: p.sha for ref, p in sorted(plan.prompts.items())},
        "policies": Policies.build(project.settings.gate, plan.suites).to_json(),
        **({"shard": plan.shard.to_json()} if plan.shard is not None else {}),
    }


def model_entries(plan: Plan, model_ids: dict[str, set[str]]) -> dict[str, Any]:
    """run.json's ``models``: each alias's provider, model, base_url and the model ids
    its answers reported (known only once they arrive)."""
    return {
        a: {
            "provider": s.provider,
            "model": s.model,
            "model_id": ",".join(sorted(model_ids.get(a, ()))) or None,
            "base_url": s.base_url,
        }
        for a, s in sorted(plan.models.items())
    }


def _uses_judge(plan: Plan) -> bool:
    from llmeval.metrics import registry

    return any(
        registry.get(a.type).judge for s in plan.suites for c in s.cases for a in c.assertions
    )


def judge_meta(project: Project, plan: Plan | None = None) -> dict[str, Any] | None:
    """The default judge and its prompts' hash, if the plan has judge assertions at all."""
    judge = project.settings.judge
    if not judge or (plan is not None and not _uses_judge(plan)):
        return None
    try:
        spec = resolve_model(project.settings, judge)
        model = spec.model
    except ConfigError:
        model = judge
    import hashlib

    shas = []
    for ref in ("judge-rubric", "judge-factuality", "judge-pairwise"):
        try:
            shas.append(prompt_loader(project)(ref).sha)
        except ConfigError:
            shas.append("")
    prompt_sha = hashlib.sha256("|".join(shas).encode()).hexdigest()[:16]
    return {"alias": judge, "model": model, "prompt_sha": prompt_sha}


def cost_fn() -> Callable[[ModelSpec, Completion], float | None]:
    def cost(spec: ModelSpec, c: Completion) -> float | None:
        if c.cost_usd is not None:
            return c.cost_usd
        if spec.is_local:
            return None
        from llmeval.providers.pricing import cost as price_cost

        return price_cost(spec, c.model_id, c.input_tokens, c.output_tokens)

    return cost


def prompt_loader(project: Project) -> Callable[[str], Any]:
    def load(ref: str) -> Any:
        from llmeval.config.prompts import resolve_prompt

        try:
            return resolve_prompt(project.prompts, ref, None)
        except ConfigError:
            # judge prompts ship with llmeval; a project may override them in prompts/
            from llmeval.judge.bundled import bundled_prompt

            return bundled_prompt(ref)

    return load
