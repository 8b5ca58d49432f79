"""One judge call from a metric: availability, template, call, parse — failures as data.

Every way a judgement can go wrong becomes a ``Score`` the engine records, never an
exception that stops the run: no judge -> skipped; a provider failure, a template that
cannot be rendered or a reply that is not a verdict -> an error (unscored).
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.domain.record import UNAVAILABLE, Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError, ProviderError
from llmeval.judge.bundled import split_ref
from llmeval.judge.prompting import render_text
from llmeval.metrics.base import BuildContext, ScoreContext, Services

V = TypeVar("V")
AsyncFn = Callable[[ScoreContext, Services], Awaitable[Score]]
_COMMON_OPTIONS = frozenset({"provider", "model", "prompt", "question_var"})
_REPLY_KEEP = 2000  # characters of an unparseable reply kept in details, for debugging


class Unscored(Exception):
    """Internal: carries the Score a judgement ends with when it cannot give a verdict."""

    def __init__(self, score: Score) -> None:
        super().__init__(score.error or score.reason)
        self.score = score


@dataclass(frozen=True, slots=True)
class JudgeOptions:
    model: str | None  # None: the engine's default judge (defaults.judge)
    prompt: str  # judge prompt reference, e.g. "judge-rubric" or "judge-rubric@v1"
    question_var: str | None = None
    extra: Mapping[str, Any] | None = None


def judge_options(
    spec: AssertionSpec, build: BuildContext, *, default_prompt: str, extra: Collection[str] = ()
) -> JudgeOptions:
    """Validate the options every judge assertion takes; ConfigError on a bad one."""
    opts = spec.options or {}
    known = _COMMON_OPTIONS | set(extra)
    for key in opts:
        if key not in known:
            # an option not understood (a typo, or promptfoo's rubricPrompt) would
            # silently change the grading: refuse it
            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.75)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(known))}"
            raise ConfigError(f"unknown option '{key}' for {spec.type} ({hint})")
    for key in ("provider", "model", "prompt", "question_var"):
        if key in opts and (not isinstance(opts[key], str) or not opts[key].strip()):
            raise ConfigError(f"{spec.type}: option '{key}' must be a non-empty string")
    if "provider" in opts and "model" in opts and opts["provider"] != opts["model"]:
        raise ConfigError(f"{spec.type}: give the judge as 'provider' or 'model', not both")
    model = opts.get("model") or opts.get("provider") or build.judge
    prompt = opts.get("prompt", default_prompt)
    split_ref(prompt)  # raises ConfigError on a malformed reference
    return JudgeOptions(
        model=model,
        prompt=prompt,
        question_var=opts.get("question_var"),
        extra={k: opts[k] for k in extra if k in opts},
    )


def check_available(services: Services, model: str | None) -> None:
    reason = services.judge_available(model)
    if reason is not None:
        raise Unscored(Score(passed=None, skipped=True, reason=reason, kind=UNAVAILABLE))


def load_template(services: Services, ref: str) -> PromptTemplate:
    try:
        return services.load_prompt(ref)
    except (ConfigError, OSError) as e:
        raise Unscored(error(f"judge prompt '{ref}' could not be loaded: {e}")) from None


def build_messages(ref: str, builder: Callable[[], tuple[Message, ...]]) -> tuple[Message, ...]:
    """Run a pure message builder; a template that will not render is an error, not a crash."""
    try:
        return builder()
    except Unscored:
        raise
    except Exception as e:  # jinja2 errors from a user's custom judge prompt
        raise Unscored(error(f"judge prompt '{ref}' could not be rendered: {e}")) from None


async def ask(
    services: Services,
    ctx: ScoreContext,
    opts: JudgeOptions,
    messages: tuple[Message, ...],
    parse: Callable[[str], V | None],
) -> tuple[V, dict[str, Any]]:
    """Call the judge and parse its reply: (verdict, details) or ``Unscored``."""
    try:
        completion = await services.judge(messages, model=opts.model, repeat=ctx.repeat)
    except ProviderError as e:
        # the kind travels with the result: a replay miss or an outage is not a scorer bug
        raise Unscored(
            Score(
                passed=None,
                error=f"judge call failed ({e.kind}): {e.message}",
                kind=e.kind,
            )
        ) from None
    text = completion.text if isinstance(completion.text, str) else ""
    verdict = parse(text)
    if verdict is None:
        head = " ".join(text.split())[:80]
        raise Unscored(
            Score(
                passed=None,
                error=f"judge verdict could not be parsed: {head}",
                details={"judge_reply": text[:_REPLY_KEEP]},
            )
        )
    details: dict[str, Any] = {}
    if completion.model_id:
        details["judge"] = completion.model_id
    return verdict, details


def question_of(ctx: ScoreContext, opts: JudgeOptions) -> Any:
    """What the output responds to: a named variable, else the last user message."""
    if opts.question_var is not None:
        if opts.question_var not in ctx.vars:
            raise Unscored(
                error(f"question_var '{opts.question_var}' is not a variable of this case")
            )
        return ctx.vars[opts.question_var]
    for m in reversed(ctx.messages):
        if m.role == "user":
            return m.content
    return None


def error(message: str) -> Score:
    return Score(passed=None, error=message)


def guarded(run: AsyncFn) -> AsyncFn:
    """The metric function: ``Unscored`` raised anywhere in ``run`` becomes its Score."""

    async def fn(ctx: ScoreContext, services: Services) -> Score:
        try:
            return await run(ctx, services)
        except Unscored as u:
            return u.score

    return fn


def render_author(what: str, source: str, ctx: ScoreContext) -> str:
    """Author text may use the case's variables (``{{ product }}``); rendered once."""
    try:
        return render_text(source, ctx.vars)
    except Exception as e:
        raise Unscored(error(f"{what} could not be rendered with the case vars: {e}")) from None
