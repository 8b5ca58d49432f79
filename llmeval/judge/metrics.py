"""Judge assertions: ``llm-rubric`` (one rubric or several criteria), ``factuality``, ``pairwise``.

Each factory validates its YAML at plan time and returns ``async fn(ctx, services)``.
Thresholds and ``not-`` are applied centrally (``metrics.apply``); a judge verdict
that cannot be obtained is returned as an unscored or skipped ``Score``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.judge import judge as j
from llmeval.judge import pairwise as _pairwise  # noqa: F401  (registers 'pairwise')
from llmeval.judge.bundled import FACTUALITY, RUBRIC
from llmeval.judge.prompting import (
    as_text,
    parse_verdict,
    rubric_messages,
)
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.registry import register


def _criteria(spec: AssertionSpec) -> list[tuple[str, str]]:
    """(name, rubric) pairs: a string is one rubric; a list or mapping are criteria."""
    v = spec.value
    if isinstance(v, str):
        items = [("", v)]
    elif isinstance(v, list):
        items = [(x, x) if isinstance(x, str) else ("", "") for x in v]
    elif isinstance(v, dict):
        items = [(str(k), x if isinstance(x, str) else "") for k, x in v.items()]
    else:
        raise ConfigError("llm-rubric: 'value' must be a rubric, or a list or mapping of criteria")
    if not items or any(not text.strip() for _, text in items):
        raise ConfigError("llm-rubric: every rubric or criterion must be non-empty text")
    if len({name for name, _ in items}) != len(items):
        raise ConfigError("llm-rubric: criteria names must be distinct")
    return items


def _var_option(spec: AssertionSpec, extra: dict[str, Any] | Any) -> str | None:
    var = extra.get("context_var")
    if var is not None and (not isinstance(var, str) or not var.strip()):
        raise ConfigError(f"{spec.type}: 'context_var' must name a case variable")
    return var


def _context(ctx: ScoreContext, var: str | None) -> Any:
    if var is None:
        return None
    if var not in ctx.vars:
        raise j.Unscored(j.error(f"context_var '{var}' is not a variable of this case"))
    return ctx.vars[var]


@register(
    "llm-rubric",
    kind="async",
    judge=True,
    # promptfoo: with a threshold the judge's pass AND score >= threshold are required,
    # so this metric decides pass itself (``both``) instead of the score-only "min" rule
    threshold="custom",
    requires_value=True,
    description="An LLM judge grades the output against a rubric, or each of several criteria.",
)
def llm_rubric(spec: AssertionSpec, build: BuildContext) -> j.AsyncFn:
    opts = j.judge_options(
        spec, build, default_prompt=RUBRIC, extra=("context_var", "with_expected")
    )
    criteria = _criteria(spec)
    extra = opts.extra or {}
    with_expected = extra.get("with_expected", False)
    if not isinstance(with_expected, bool):
        raise ConfigError("llm-rubric: 'with_expected' must be true or false")
    context_var = _var_option(spec, extra)

    async def one(
        ctx: ScoreContext, services: Services, rubric: str, template: Any
    ) -> tuple[Score, dict[str, Any]]:
        context = _context(ctx, context_var)
        question = j.question_of(ctx, opts)
        messages = j.build_messages(
            opts.prompt,
            lambda: rubric_messages(
                template,
                rubric=rubric,
                output=ctx.output,
                expected=ctx.expected if with_expected else None,
                context=context,
                question=question,
            ),
        )
        verdict, details = await j.ask(services, ctx, opts, messages, parse_verdict)
        return Score(passed=verdict.passed, score=verdict.score, reason=verdict.reason), details

    async def run(ctx: ScoreContext, services: Services) -> Score:
        j.check_available(services, opts.model)
        template = j.load_template(services, opts.prompt)
        if len(criteria) == 1 and criteria[0][0] == "":
            score, details = await one(
                ctx, services, j.render_author("rubric", criteria[0][1], ctx), template
            )
            got = Score(score.passed, score.score, score.reason, details=details or None)
            return both(got, spec.threshold)
        got = await _multi(ctx, services, template, one)
        if spec.threshold is None or got.passed is None or got.score is None:
            return got
        # llmeval's criteria: a threshold on the mean replaces "every criterion passes"
        return Score(got.score >= spec.threshold, got.score, got.reason, details=got.details)

    async def _multi(ctx: ScoreContext, services: Services, template: Any, one: Any) -> Score:
        # a list criterion is its own name; a mapping's name is shown before its text
        rubrics = [
            (
                name,
                ("" if name == text else f"{name}: ")
                + j.render_author(f"criterion '{name}'", text, ctx),
            )
            for name, text in criteria
        ]
        outcomes = await asyncio.gather(
            *(one(ctx, services, text, template) for _, text in rubrics),
            return_exceptions=True,
        )
        per: dict[str, Any] = {}
        for (name, _), out in zip(rubrics, outcomes, strict=True):
            if isinstance(out, j.Unscored):
                per[name] = {"passed": None, "error": out.score.error}
            elif isinstance(out, BaseException):
                raise out
            else:
                s, _details = out
                per[name] = {"passed": s.passed, "score": s.score, "reason": s.reason}
        details = {"criteria": per}
        broken = [n for n, d in per.items() if d["passed"] is None]
        if broken:
            first = per[broken[0]]["error"]
            return Score(
                passed=None,
                error=f"criterion '{broken[0]}' unscored: {first}",
                details=details,
            )
        scores = [d["score"] for d in per.values()]
        failed = [n for n, d in per.items() if not d["passed"]]
        reason = f"{len(per) - len(failed)}/{len(per)} criteria passed"
        if failed:
            reason += "; failed: " + "; ".join(f"{n}: {per[n]['reason']}" for n in failed)
        return Score(
            passed=not failed, score=sum(scores) / len(scores), reason=reason, details=details
        )

    return j.guarded(run)


def both(got: Score, threshold: float | None) -> Score:
    """promptfoo's llm-rubric verdict: the judge's pass, and score >= threshold if one is set."""
    if got.passed is None or threshold is None or got.score is None:
        return got
    if got.passed and got.score < threshold:
        reason = f"score {got.score:.2f} is below the threshold {threshold}: {got.reason}"
        return Score(False, got.score, reason, details=got.details)
    return got


def _claims_outcome(raw: dict[str, Any]) -> tuple[bool, float, list[str]] | None:
    """Pass iff every listed claim is supported, when the judge listed them properly."""
    claims = raw.get("claims")
    if not isinstance(claims, list) or not all(
        isinstance(c, dict) and isinstance(c.get("supported"), bool) for c in claims
    ):
        return None
    unsupported = [as_text(c.get("claim", "")) for c in claims if not c["supported"]]
    frac = 1.0 if not claims else (len(claims) - len(unsupported)) / len(claims)
    return not unsupported, frac, unsupported


@register(
    "factuality",
    kind="async",
    judge=True,
    threshold="min",
    description="An LLM judge checks every claim of the output against `expected`, "
    "`value` or a context variable (hallucination / faithfulness check).",
)
def factuality(spec: AssertionSpec, build: BuildContext) -> j.AsyncFn:
    opts = j.judge_options(spec, build, default_prompt=FACTUALITY, extra=("context_var",))
    if spec.value is not None and not isinstance(spec.value, str):
        raise ConfigError("factuality: 'value' must be the reference text")
    context_var = _var_option(spec, opts.extra or {})
    if context_var is not None and spec.value is not None:
        raise ConfigError("factuality: give either 'value' or a 'context_var' name, not both")

    async def run(ctx: ScoreContext, services: Services) -> Score:
        if context_var is not None:
            reference, kind = _context(ctx, context_var), "context"
        elif spec.value is not None:
            reference, kind = (
                j.render_author("factuality value", spec.value, ctx),
                "reference answer",
            )
        else:
            reference, kind = ctx.expected, "reference answer"
        if as_text(reference).strip() == "":
            return j.error("factuality needs a reference: 'expected', 'value' or 'context_var'")
        j.check_available(services, opts.model)
        template = j.load_template(services, opts.prompt)
        question = j.question_of(ctx, opts)
        messages = j.build_messages(
            opts.prompt,
            lambda: rubric_messages(
                template,
                rubric="Every factual claim in the output is supported by the reference.",
                output=ctx.output,
                question=question,
                reference=reference,
                reference_kind=kind,
            ),
        )
        verdict, details = await j.ask(services, ctx, opts, messages, parse_verdict)
        passed, score = verdict.passed, verdict.score
        claims = _claims_outcome(verdict.raw)
        if claims is not None:  # the claim list decides, so pass cannot contradict it
            passed, score, unsupported = claims
            details["claims"] = verdict.raw["claims"]
            if unsupported:
                details["unsupported"] = unsupported
        return Score(passed=passed, score=score, reason=verdict.reason, details=details or None)

    return j.guarded(run)
