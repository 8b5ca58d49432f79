"""``g-eval`` and ``model-graded-closedqa`` with promptfoo's semantics.

``g-eval``: the judge writes evaluation steps for the criteria, follows them and scores
0-10; the score is that / 10 and passes at ``threshold`` (default 0.7, as promptfoo).
A list of criteria is graded one call each and averaged (promptfoo does the same).
``model-graded-closedqa``: the judge says yes or no to "does the output meet the
criterion"; pass is that answer, score 1 or 0.
"""

from __future__ import annotations

import asyncio
import math

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.judge import judge as j
from llmeval.judge.prompting import _data, fence, parse_verdict, render_messages
from llmeval.judge.verdict import _one_object
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.registry import register


def parse_geval(text: object) -> tuple[float, str] | None:
    """``{steps, score: 0..10, reason}`` -> (score in [0, 1], reason), or None."""
    obj = _one_object(text)
    if obj is None:
        return None
    raw = obj.get("score")
    if isinstance(raw, bool) or not isinstance(raw, int | float) or math.isnan(raw):
        return None
    if not 0 <= raw <= 10:
        return None
    reason = obj.get("reason", "")
    return raw / 10, reason if isinstance(reason, str) else ""


def _criteria(spec: AssertionSpec) -> list[str]:
    v = spec.value
    items = [v] if isinstance(v, str) else v if isinstance(v, list) else None
    if not items or not all(isinstance(x, str) and x.strip() for x in items):
        raise ConfigError(f"{spec.type}: 'value' must be the criteria text, or a list of them")
    return items


@register(
    "g-eval",
    kind="async",
    judge=True,
    threshold="min",
    default_threshold=0.7,
    requires_value=True,
    description="G-Eval: the judge writes evaluation steps for the criteria and scores "
    "0-10 (score / 10; default threshold 0.7).",
)
def g_eval(spec: AssertionSpec, build: BuildContext) -> j.AsyncFn:
    opts = j.judge_options(spec, build, default_prompt="judge-g-eval")
    criteria = _criteria(spec)

    async def one(ctx: ScoreContext, services: Services, text: str) -> tuple[float, str]:
        template = j.load_template(services, opts.prompt)
        variables = {
            "rubric": j.render_author("g-eval criteria", text, ctx),
            "output": fence("OUTPUT", ctx.output),
            "question": _data("QUESTION", j.question_of(ctx, opts)),
        }
        messages = j.build_messages(opts.prompt, lambda: render_messages(template, variables))
        got, _ = await j.ask(services, ctx, opts, messages, parse_geval)
        return got

    async def run(ctx: ScoreContext, services: Services) -> Score:
        j.check_available(services, opts.model)
        results = await asyncio.gather(*(one(ctx, services, c) for c in criteria))
        score = sum(s for s, _ in results) / len(results)
        reason = " | ".join(r for _, r in results if r)
        return Score(passed=None, score=score, reason=f"G-Eval {score * 10:.1f}/10. {reason}")

    return j.guarded(run)


@register(
    "model-graded-closedqa",
    kind="async",
    judge=True,
    requires_value=True,
    description="The judge answers yes or no: does the output meet the criterion "
    "(OpenAI evals' closed QA).",
)
def closed_qa(spec: AssertionSpec, build: BuildContext) -> j.AsyncFn:
    opts = j.judge_options(spec, build, default_prompt="judge-closedqa")
    if not isinstance(spec.value, str) or not spec.value.strip():
        raise ConfigError("model-graded-closedqa: 'value' must be the criterion text")
    criterion = spec.value

    async def run(ctx: ScoreContext, services: Services) -> Score:
        j.check_available(services, opts.model)
        template = j.load_template(services, opts.prompt)
        variables = {
            "rubric": j.render_author("criterion", criterion, ctx),
            "output": fence("OUTPUT", ctx.output),
            "question": _data("QUESTION", j.question_of(ctx, opts)),
        }
        messages = j.build_messages(opts.prompt, lambda: render_messages(template, variables))
        verdict, details = await j.ask(services, ctx, opts, messages, parse_verdict)
        return Score(
            passed=verdict.passed,
            score=1.0 if verdict.passed else 0.0,
            reason=verdict.reason,
            details=details or None,
        )

    return j.guarded(run)
