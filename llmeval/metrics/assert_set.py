"""``assert-set``: a group of assertions scored as one, as promptfoo.

```yaml
- type: assert-set
  threshold: 0.5          # optional: weighted mean of the children must reach it
  weight: 2
  metric: tone
  assert:
    - {type: icontains, value: refund}
    - {type: llm-rubric, value: Is polite.}
```

Children are validated and built through the same registry as any assertion (errors
at plan time), scored, finalized by ``metrics.apply.finalize`` (their own ``not-``,
threshold and weight) and combined by ``metrics.apply.case_verdict`` — the one owner of
"every assertion passes, or the weighted mean reaches the threshold". The set's score
is the weighted mean of its children (promptfoo's).
"""

from __future__ import annotations

from typing import Any

from llmeval.domain.record import ERROR, PASS, SKIPPED, Score
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.registry import build as build_metric
from llmeval.metrics.registry import register


def child_specs(spec: AssertionSpec) -> list[AssertionSpec]:
    from pydantic import ValidationError

    from llmeval.config.assertions import to_spec
    from llmeval.config.schema import AssertionConfig
    from llmeval.config.yaml import YamlMap, locate

    items = spec.options.get("assert")
    unknown = sorted(set(spec.options) - {"assert", "config"})
    if unknown:
        raise ConfigError(f"assert-set: unknown option(s) {unknown} (known: assert, config)")
    if spec.value is not None:
        raise ConfigError("assert-set takes its assertions under 'assert', not 'value'")
    if not isinstance(items, list) or not items:
        raise ConfigError("assert-set needs a non-empty 'assert' list")
    out = []
    for i, raw in enumerate(items):
        where = locate(items, (i,)) if hasattr(items, "marks") else spec.location
        if isinstance(raw, dict) and raw.get("type") == "assert-set":
            raise ConfigError("assert-set cannot contain another assert-set")
        try:
            cfg = AssertionConfig.model_validate(dict(raw) if isinstance(raw, dict) else raw)
        except ValidationError as e:
            first = e.errors()[0]
            raise ConfigError(f"assert-set item {i + 1}: {first['msg']}", where) from None
        at = where or spec.location
        child, problems = to_spec(cfg, raw if isinstance(raw, YamlMap) else None, at)  # type: ignore[arg-type]
        if problems:
            raise problems[0]
        out.append(child)
    return out


@register(
    "assert-set",
    kind="async",
    description="A group of assertions with its own threshold, weight and metric.",
)
def assert_set(spec: AssertionSpec, build: BuildContext) -> Any:
    from llmeval.metrics.apply import case_verdict, finalize

    children: list[tuple[AssertionSpec, Any, Any]] = [
        (c, *build_metric(c, build)) for c in child_specs(spec)
    ]
    group = Case(id="assert-set", threshold=spec.threshold)

    async def run(ctx: ScoreContext, services: Services) -> Score:
        results = []
        for child, defn, fn in children:
            raw = await fn(ctx, services) if defn.kind == "async" else fn(ctx)
            results.append(finalize(defn, child, raw))
        status, mean = case_verdict(group, results)
        parts = {
            "components": [
                {"type": r.type, "passed": r.passed, "score": r.score, "reason": r.reason}
                for r in results
            ]
        }
        failed = [r.type for r in results if r.passed is False]
        reason = f"{len(results) - len(failed)}/{len(results)} passed"
        if failed:
            reason += "; failed: " + ", ".join(failed)
        if status == ERROR:
            broken = next(r for r in results if r.status == ERROR)
            return Score(
                passed=None,
                error=f"{broken.type}: {broken.reason}",
                details=parts,
                kind=broken.kind,
            )
        if status == SKIPPED:
            return Score(
                passed=None, skipped=True, reason="every assertion was skipped", details=parts
            )
        return Score(passed=status == PASS, score=mean, reason=reason, details=parts)

    return run
