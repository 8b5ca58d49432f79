"""RAG assertions with promptfoo's names: ``context-faithfulness``, ``context-recall``,
``context-relevance``, ``answer-relevance``.

Each is one judge call that lists statements with a ``supported`` verdict; the score is
the supported fraction (promptfoo's ratios), and pass is ``score >= threshold``
(default 0, as promptfoo). The context comes from the ``context`` variable (promptfoo's
convention), another variable (``context_var``) or the target's output
(``context_from: output``, for a target that returns its retrieved context), or
promptfoo's ``contextTransform`` (a JavaScript expression over ``output`` and
``context``, run by the ``javascript`` engine, extra ``llmeval[js]``); the
question from ``query`` (promptfoo) else the prompt's last user message.

``answer-relevance`` follows promptfoo: the judge writes questions the output answers,
and their mean embedding similarity to the real question is the score (threshold
default 0), so it needs an embedding model as ``similar`` does.
"""

from __future__ import annotations

from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.judge import judge as j
from llmeval.judge.prompting import _data, as_text, fence, render_messages
from llmeval.judge.verdict import _one_object
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.javascript import compile_script, script_context
from llmeval.metrics.registry import register

_CONTEXT_OPTIONS = ("context_var", "context_from", "contextTransform")


def parse_statements(text: object) -> tuple[list[dict[str, Any]], str] | None:
    """``{reason, statements: [{statement, supported}]}`` or None (unscored)."""
    obj = _one_object(text)
    if obj is None or not isinstance(obj.get("statements"), list):
        return None
    items = obj["statements"]
    if not all(isinstance(s, dict) and isinstance(s.get("supported"), bool) for s in items):
        return None
    reason = obj.get("reason", "")
    return items, reason if isinstance(reason, str) else ""


def context_source(spec: AssertionSpec, extra: Any) -> tuple[str, str]:
    if "contextTransform" in extra:
        if set(extra) & {"context_var", "context_from"}:
            raise ConfigError(
                f"{spec.type}: give 'contextTransform' or 'context_var' / 'context_from', not both"
            )
        code = extra["contextTransform"]
        if not isinstance(code, str) or not code.strip():
            raise ConfigError(f"{spec.type}: 'contextTransform' must be a JavaScript expression")
        return "transform", code
    var = extra.get("context_var", "context")
    source = extra.get("context_from", "vars")
    if not isinstance(var, str) or not var.strip():
        raise ConfigError(f"{spec.type}: 'context_var' must name a case variable")
    if source not in ("vars", "output"):
        raise ConfigError(f"{spec.type}: 'context_from' must be 'vars' or 'output'")
    if source == "output" and "context_var" in extra:
        raise ConfigError(f"{spec.type}: give 'context_var' or 'context_from: output', not both")
    return source, var


async def context_of(ctx: ScoreContext, source: str, var: str, transform: Any = None) -> str:
    if source == "transform":
        from py_mini_racer import JSEvalException

        try:
            text = await transform(ctx.output, script_context(ctx))
        except JSEvalException as e:
            raise j.Unscored(
                j.error(f"contextTransform failed: {str(e).splitlines()[0]}")
            ) from None
        if not isinstance(text, str):
            raise j.Unscored(
                j.error(f"contextTransform must return a string, got {type(text).__name__}")
            )
    elif source == "output":
        text = ctx.output
    else:
        if var not in ctx.vars:
            raise j.Unscored(
                j.error(f"context is required: set the '{var}' variable, or 'context_from: output'")
            )
        text = as_text(ctx.vars[var])
    if not text.strip():
        raise j.Unscored(j.error("the context is empty"))
    return text


def question(ctx: ScoreContext, opts: j.JudgeOptions) -> Any:
    if opts.question_var is None and "query" in ctx.vars:
        return ctx.vars["query"]
    return j.question_of(ctx, opts)


def _listing(name: str, prompt: str, describe: str, build_vars: Any) -> None:
    @register(
        name, kind="async", judge=True, threshold="min", default_threshold=0.0, description=describe
    )
    def factory(spec: AssertionSpec, build: BuildContext) -> j.AsyncFn:
        opts = j.judge_options(spec, build, default_prompt=prompt, extra=_CONTEXT_OPTIONS)
        source, var = context_source(spec, opts.extra or {})
        transform = (
            compile_script(var, f"{name} contextTransform") if source == "transform" else None
        )
        if name != "context-recall" and spec.value is not None:
            raise ConfigError(f"{name} takes no 'value' (the context comes from a variable)")

        async def run(ctx: ScoreContext, services: Services) -> Score:
            context = await context_of(ctx, source, var, transform)
            variables = build_vars(spec, ctx, opts, context)
            j.check_available(services, opts.model)
            template = j.load_template(services, opts.prompt)
            messages = j.build_messages(opts.prompt, lambda: render_messages(template, variables))
            (items, reason), details = await j.ask(services, ctx, opts, messages, parse_statements)
            if not items:
                return Score(
                    passed=None,
                    score=0.0,
                    reason=reason or "no statements to check",
                    details=details or None,
                )
            supported = sum(1 for s in items if s["supported"])
            details["statements"] = items
            return Score(
                passed=None,
                score=supported / len(items),
                reason=f"{supported}/{len(items)} supported. {reason}".strip(),
                details=details,
            )

        return j.guarded(run)


def _faithfulness_vars(spec: AssertionSpec, ctx: ScoreContext, opts: Any, context: str) -> Any:
    return {
        "output": fence("OUTPUT", ctx.output),
        "context": fence("CONTEXT", context),
        "question": _data("QUESTION", question(ctx, opts)),
    }


def _recall_vars(spec: AssertionSpec, ctx: ScoreContext, opts: Any, context: str) -> Any:
    reference = (
        j.render_author("context-recall value", spec.value, ctx)
        if isinstance(spec.value, str)
        else as_text(ctx.expected)
    )
    if not reference.strip():
        raise j.Unscored(j.error("context-recall needs the ground truth as 'value' or 'expected'"))
    return {"context": fence("CONTEXT", context), "reference": fence("REFERENCE", reference)}


def _relevance_vars(spec: AssertionSpec, ctx: ScoreContext, opts: Any, context: str) -> Any:
    q = question(ctx, opts)
    if not as_text(q).strip():
        raise j.Unscored(j.error("context-relevance needs the question: a 'query' variable"))
    return {"context": fence("CONTEXT", context), "question": fence("QUESTION", as_text(q))}


_listing(
    "context-faithfulness",
    "judge-context-faithfulness",
    "Share of the output's statements the context supports (judge; promptfoo's RAG faithfulness).",
    _faithfulness_vars,
)
_listing(
    "context-recall",
    "judge-context-recall",
    "Share of the ground truth (value or expected) the context contains (judge).",
    _recall_vars,
)
_listing(
    "context-relevance",
    "judge-context-relevance",
    "Share of the context's sentences relevant to the query (judge).",
    _relevance_vars,
)


def parse_questions(text: object) -> list[str] | None:
    obj = _one_object(text)
    qs = obj.get("questions") if obj is not None else None
    if not isinstance(qs, list) or not qs or not all(isinstance(q, str) and q for q in qs):
        return None
    return qs


@register(
    "answer-relevance",
    kind="async",
    judge=True,
    threshold="min",
    default_threshold=0.0,
    description="The judge writes the questions the output answers; their mean "
    "embedding similarity to the query is the score (promptfoo).",
)
def answer_relevance(spec: AssertionSpec, build: BuildContext) -> j.AsyncFn:
    from llmeval.metrics.similar import embedder_option

    opts = j.judge_options(
        spec, build, default_prompt="judge-answer-relevance", extra=("embedder",)
    )
    embedder = embedder_option(spec, (opts.extra or {}).get("embedder"))

    async def run(ctx: ScoreContext, services: Services) -> Score:
        from llmeval.metrics.similar import cosine, embed_all

        q = as_text(question(ctx, opts))
        if not q.strip():
            return j.error("answer-relevance needs the question: a 'query' variable")
        j.check_available(services, opts.model)
        template = j.load_template(services, opts.prompt)
        messages = j.build_messages(
            opts.prompt, lambda: render_messages(template, {"output": fence("OUTPUT", ctx.output)})
        )
        questions, details = await j.ask(services, ctx, opts, messages, parse_questions)
        vectors = await embed_all(services, embedder, [q, *questions], ctx.repeat)
        sims = [cosine(vectors[0], v) for v in vectors[1:]]
        score = max(0.0, min(1.0, sum(sims) / len(sims)))
        details["questions"] = questions
        return Score(
            passed=None,
            score=score,
            details=details,
            reason=f"mean similarity {score:.2f} of {len(sims)} generated questions",
        )

    return j.guarded(run)
