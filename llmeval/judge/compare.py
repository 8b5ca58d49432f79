"""``select-best`` and ``max-score``: compare the outputs of one case across prompts and
models, as promptfoo does after every other assertion has run.

Per result these are registered so suites validate, and score as *skipped* ("decided in
the comparison pass"). The engine then calls, once per case with all its results:

- ``max_score(spec, results)`` — pure: the output whose other assertions have the best
  mean score (``value: {method: average|sum, weights: {type: w}, threshold}``) passes,
  every other one fails; ties go to the first.
- ``await select_best(spec, outputs, services, ctx)`` — one judge call that sees all
  outputs (fenced) and names the best; it passes, the others fail.

Both return one ``Score`` per output, in the order given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llmeval.domain.record import UNAVAILABLE, AssertionResult, Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.judge import judge as j
from llmeval.judge.prompting import fence, render_messages
from llmeval.judge.verdict import _one_object
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.registry import register

SELECT_BEST = "judge-select-best"
DEFERRED = "decided in the comparison pass over this case's outputs"


def _deferred(spec: AssertionSpec, build: BuildContext) -> Any:
    async def fn(ctx: ScoreContext, services: Services) -> Score:
        return Score(passed=None, skipped=True, reason=DEFERRED, kind="deferred")

    return fn


def _max_score_factory(spec: AssertionSpec, build: BuildContext) -> Any:
    max_score_options(spec)
    return _deferred(spec, build)


def _select_best_factory(spec: AssertionSpec, build: BuildContext) -> Any:
    if not isinstance(spec.value, str) or not spec.value.strip():
        raise ConfigError("select-best: 'value' must be the criteria for the best output")
    j.judge_options(spec, build, default_prompt=SELECT_BEST)
    return _deferred(spec, build)


register(
    "max-score",
    kind="async",
    description="Across the prompts/models of a case, the "
    "output with the best mean score of its other assertions passes.",
)(_max_score_factory)
register(
    "select-best",
    kind="async",
    judge=True,
    requires_value=True,
    description="Across the prompts/models of a case, the judge picks the best output "
    "for the criteria; it passes.",
)(_select_best_factory)


def max_score_options(spec: AssertionSpec) -> tuple[str, dict[str, float], float | None]:
    v = spec.value if spec.value is not None else {}
    if not isinstance(v, dict) or set(v) - {"method", "weights", "threshold"}:
        raise ConfigError("max-score: 'value' may set method, weights and threshold only")
    method = v.get("method", "average")
    if method not in ("average", "sum"):
        raise ConfigError("max-score: 'method' must be average or sum")
    weights = v.get("weights") or {}
    if not isinstance(weights, dict):
        raise ConfigError("max-score: 'weights' maps assertion types to numbers")
    threshold = v.get("threshold", spec.threshold)
    return method, {str(k): float(w) for k, w in weights.items()}, threshold


def max_score(spec: AssertionSpec, results: Sequence[Sequence[AssertionResult]]) -> list[Score]:
    """One Score per output: the best aggregate of the *other* assertions wins."""
    method, weights, threshold = max_score_options(spec)
    totals: list[float] = []
    for rs in results:
        scored = [
            (r, weights.get(r.type, 1.0))
            for r in rs
            if r.type not in ("max-score", "select-best") and r.score is not None
        ]
        total = sum((r.score or 0.0) * w for r, w in scored)
        wsum = sum(w for _, w in scored)
        totals.append(total if method == "sum" else (total / wsum if wsum else 0.0))
    if not totals:
        return []
    best = max(range(len(totals)), key=lambda i: (totals[i], -i))
    out = []
    for i, t in enumerate(totals):
        win = i == best and (threshold is None or t >= threshold)
        why = "highest aggregate score" if i == best else f"output {best + 1} scored higher"
        out.append(
            Score(
                passed=win,
                score=1.0 if win else 0.0,
                reason=f"{why} ({t:.3f})",
                details={"aggregate": t},
            )
        )
    return out


def parse_best(text: object, n: int) -> tuple[int, str] | None:
    obj = _one_object(text)
    best = obj.get("best") if obj is not None else None
    if isinstance(best, bool) or not isinstance(best, int) or not 1 <= best <= n:
        return None
    reason = obj.get("reason", "") if obj is not None else ""
    return best - 1, reason if isinstance(reason, str) else ""


async def select_best(
    spec: AssertionSpec, outputs: Sequence[str], services: Services, ctx: ScoreContext
) -> list[Score]:
    """One judge call over all outputs of a case; the chosen one passes."""
    opts = j.judge_options(spec, BuildContext(root=Path(".")), default_prompt=SELECT_BEST)
    reason = services.judge_available(opts.model)
    if reason is not None:
        return [Score(passed=None, skipped=True, reason=reason, kind=UNAVAILABLE) for _ in outputs]
    listing = "\n\n".join(fence(f"OUTPUT {i + 1}", o) for i, o in enumerate(outputs))
    try:
        template = j.load_template(services, opts.prompt)
        rubric = j.render_author("select-best criteria", str(spec.value), ctx)
        messages = j.build_messages(
            opts.prompt,
            lambda: render_messages(template, {"rubric": rubric, "outputs": listing}),
        )
        (best, why), _ = await j.ask(
            services, ctx, opts, messages, lambda t: parse_best(t, len(outputs))
        )
    except j.Unscored as u:
        return [u.score for _ in outputs]
    return [
        Score(
            passed=i == best,
            score=1.0 if i == best else 0.0,
            reason=why if i == best else f"output {best + 1} was chosen: {why}",
        )
        for i in range(len(outputs))
    ]


COMPARED = ("select-best", "max-score")


async def comparison_pass(
    specs: Sequence[AssertionSpec],
    outputs: Sequence[str],
    results: Sequence[Sequence[AssertionResult]],
    services: Services,
    ctx: ScoreContext,
) -> list[list[AssertionResult]]:
    """What the engine calls once per case, when every prompt x model result of it is in.

    ``specs`` are the case's assertions; ``outputs[i]`` and ``results[i]`` belong to one
    result (same order). Returns, per result, the finalized ``select-best`` /
    ``max-score`` results that replace their deferred (skipped) placeholders; with a
    single output there is nothing to compare and the placeholders stay.
    """
    from llmeval.metrics import registry
    from llmeval.metrics.apply import finalize

    out: list[list[AssertionResult]] = [[] for _ in outputs]
    if len(outputs) < 2:
        return out
    for spec in specs:
        if spec.type not in COMPARED:
            continue
        defn = registry.get(spec.type)
        if spec.type == "max-score":
            scores = max_score(spec, results)
        else:
            scores = await select_best(spec, outputs, services, ctx)
        for i, score in enumerate(scores):
            out[i].append(finalize(defn, spec, score))
    return out
