"""Trajectory assertions (promptfoo's ``trajectory:*`` names and value shapes).

They read ``ScoreContext.trajectory`` only, so the engine's tool loop, a target's
reported steps and OpenTelemetry spans are scored alike. A step *matcher* is a
string (a glob over the step name: ``*`` and ``?``, case-insensitive, as promptfoo's)
or ``{name | pattern, type}``; a tool-step matcher's type defaults to ``tool``.

- ``trajectory:tool-used``: a name or list of names, all used (with ``not-``: none
  used); or ``{name | pattern, min, max}``, used between min (default 1) and max times.
- ``trajectory:tool-sequence``: a list (in order, other calls between allowed) or
  ``{mode: in_order | exact, steps: [...]}``; ``exact`` is the whole tool sequence.
- ``trajectory:tool-args-match``: ``{name | pattern, args | arguments, mode: partial |
  exact, defaults, ignore}``: some call of the tool has matching arguments.
- ``trajectory:step-count``: ``{type, name | pattern, min, max}`` over all steps.
- ``trajectory:goal-success``: a goal (or ``{goal}``) the judge decides the agent
  reached, from the final output and a summary of the trajectory (same judge, same
  template as ``llm-rubric``; skipped without a judge).

No trajectory at all (nothing reported, no span captured) is unscored, not a pass: a
forbidden-tool check must not pass because tracing was not set up.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.domain.trajectory import STEP_TYPES, TOOL, Step
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.registry import register
from llmeval.metrics.tools import partial_match
from llmeval.metrics.values import check_options

Fn = Callable[[ScoreContext], Score]
SUMMARY_STEPS = 24  # steps shown to the judge: the first and last halves of longer runs
_CLIP = 300
_NO_TRAJECTORY = (
    "no trajectory was recorded (the target reported no steps and no spans were captured)"
)


@dataclass(frozen=True, slots=True)
class Matcher:
    pattern: str | None  # None: any name
    types: tuple[str, ...] | None  # None: any type

    @property
    def label(self) -> str:
        return self.pattern or "*"

    def matches(self, step: Step) -> bool:
        if self.types is not None and step.type not in self.types:
            return False
        if self.pattern is None:
            return True
        aliases = {step.name, str(step.attributes.get("span") or step.name)}
        return any(glob(self.pattern).match(a) for a in aliases)


@lru_cache(maxsize=256)
def glob(pattern: str) -> re.Pattern[str]:
    """promptfoo's span-name pattern: ``*`` any run, ``?`` one character, no case."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL)


def label(step: Step) -> str:
    return f"{step.type}:{step.name}"


def listing(steps: list[Step] | tuple[Step, ...]) -> str:
    return ", ".join(label(s) for s in steps) or "(none)"


def _types(what: str, value: Any) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    for t in items:
        if t not in STEP_TYPES:
            raise ConfigError(f"{what}: step type {t!r} is not one of {', '.join(STEP_TYPES)}")
    return tuple(items)


def matcher(
    what: str, value: Any, default_type: str | None, extra: tuple[str, ...] = ()
) -> Matcher:
    """A matcher from a string or ``{name | pattern, type}`` (plus ``extra`` keys)."""
    if isinstance(value, str):
        if not value.strip():
            raise ConfigError(f"{what}: a step name must not be empty")
        return Matcher(value.strip(), (default_type,) if default_type else None)
    if not isinstance(value, dict):
        raise ConfigError(f"{what}: a step should be a name or {{name, type}}, not {value!r}")
    unknown = sorted(set(value) - {"name", "pattern", "type", *extra})
    if unknown:
        known = ", ".join(["name", "pattern", "type", *extra])
        raise ConfigError(f"{what}: unknown key(s) {unknown} (known: {known})")
    pattern = value.get("pattern", value.get("name"))
    if pattern is not None and (not isinstance(pattern, str) or not pattern.strip()):
        raise ConfigError(f"{what}: 'name' / 'pattern' should be a non-empty string")
    types = _types(what, value.get("type"))
    if types is None and default_type:
        types = (default_type,)
    return Matcher(pattern.strip() if pattern else None, types)


def _bounds(what: str, value: dict[str, Any]) -> tuple[int | None, int | None]:
    out = []
    for key in ("min", "max"):
        v = value.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise ConfigError(f"{what}: '{key}' should be a whole number >= 0, not {v!r}")
        out.append(v)
    lo, hi = out
    if lo is not None and hi is not None and lo > hi:
        raise ConfigError(f"{what}: 'min' ({lo}) is greater than 'max' ({hi})")
    return lo, hi


def _range_text(lo: int | None, hi: int | None) -> str:
    if lo is not None and hi is not None:
        return f"{lo}-{hi}"
    return f"at least {lo}" if hi is None else f"at most {hi}"


def _verdict(ok: bool, reason: str) -> Score:
    return Score(passed=ok, score=1.0 if ok else 0.0, reason=reason)


def _needs_steps(fn: Fn) -> Fn:
    def scored(ctx: ScoreContext) -> Score:
        if not ctx.trajectory:
            return Score(passed=None, error=_NO_TRAJECTORY)
        return fn(ctx)

    return scored


@register(
    "trajectory:tool-used",
    requires_value=True,
    description="the agent used a tool (or each of several), optionally min/max times",
)
def _tool_used(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    what, v = "trajectory:tool-used", spec.value
    if isinstance(v, str | list):
        names = [v] if isinstance(v, str) else v
        if not names or not all(isinstance(n, str) and n.strip() for n in names):
            raise ConfigError(f"{what}: value should be a tool name or a list of tool names")
        wanted = [matcher(what, n, TOOL) for n in names]
        # promptfoo: with not-, a list is forbidden tools of which none may be used; the
        # central inversion of "some was used" says exactly that
        any_mode = spec.negate

        def listed(ctx: ScoreContext) -> Score:
            tools = [s for s in ctx.trajectory if s.type == TOOL]
            used = [m for m in wanted if any(m.matches(s) for s in tools)]
            missing = [m.label for m in wanted if m not in used]
            actual = listing(tools)
            if any_mode:
                names_used = ", ".join(m.label for m in used) or "(none)"
                return _verdict(
                    bool(used), f"Used of the listed tools: {names_used}. Actual tools: {actual}"
                )
            if missing:
                return _verdict(
                    False, f"Missing required tool(s): {', '.join(missing)}. Actual tools: {actual}"
                )
            return _verdict(
                True,
                f"Observed required tool(s): {', '.join(m.label for m in wanted)}. Actual tools: {actual}",
            )

        return _needs_steps(listed)
    if not isinstance(v, dict):
        raise ConfigError(f"{what}: value should be a name, a list of names or {{name, min, max}}")
    m = matcher(what, v, TOOL, extra=("min", "max"))
    if m.pattern is None:
        raise ConfigError(f"{what}: the object needs a 'name' or 'pattern'")
    lo, hi = _bounds(what, v)
    lo = 1 if lo is None else lo

    def counted(ctx: ScoreContext) -> Score:
        hits = [s for s in ctx.trajectory if m.matches(s)]
        ok = len(hits) >= lo and (hi is None or len(hits) <= hi)
        reason = f'Matched tool "{m.label}" {len(hits)} time(s) (expected {_range_text(lo, hi)})'
        return _verdict(ok, reason + (f". Matches: {listing(hits)}" if hits else ""))

    return _needs_steps(counted)


@register(
    "trajectory:tool-sequence",
    requires_value=True,
    description="the agent's tool calls follow an order (in order, or exactly)",
)
def _tool_sequence(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    what, v = "trajectory:tool-sequence", spec.value
    steps: Any
    if isinstance(v, list):
        mode, steps = "in_order", v
    elif isinstance(v, dict):
        unknown = sorted(set(v) - {"mode", "steps"})
        if unknown:
            raise ConfigError(f"{what}: unknown key(s) {unknown} (known: mode, steps)")
        mode, steps = v.get("mode", "in_order"), v.get("steps")
    else:
        raise ConfigError(f"{what}: value should be a list of steps or {{mode, steps}}")
    if mode not in ("in_order", "exact"):
        raise ConfigError(f"{what}: mode should be in_order or exact, not {mode!r}")
    if not isinstance(steps, list) or not steps:
        raise ConfigError(f"{what}: 'steps' should be a non-empty list")
    wanted = [matcher(f"{what} step {i + 1}", s, TOOL) for i, s in enumerate(steps)]
    if any(m.pattern is None for m in wanted):
        raise ConfigError(f"{what}: every step needs a 'name' or 'pattern'")
    expected = ", ".join(m.label for m in wanted)

    def fn(ctx: ScoreContext) -> Score:
        tools = [s for s in ctx.trajectory if s.type == TOOL]
        actual = listing(tools)
        if mode == "exact":
            ok = len(tools) == len(wanted) and all(
                m.matches(s) for m, s in zip(wanted, tools, strict=True)
            )
            if ok:
                return _verdict(True, f"Observed exact tool sequence: {actual}")
            return _verdict(
                False, f"Expected exact tool sequence of {expected}, but actual tools were {actual}"
            )
        i = 0
        for s in tools:
            if i < len(wanted) and wanted[i].matches(s):
                i += 1
        if i == len(wanted):
            return _verdict(
                True, f"Observed tool sequence in order: {expected}. Actual tools: {actual}"
            )
        return _verdict(
            False,
            f'Expected tool "{wanted[i].label}" was not observed in order. Actual tools: {actual}',
        )

    return _needs_steps(fn)


def _ignored(key: str, ignore: list[str]) -> bool:
    return any(key == e or (("*" in e or "?" in e) and glob(e).match(key)) for e in ignore)


def _clean(args: Any, ignore: list[str], defaults: dict[str, Any] | None) -> Any:
    """Top-level keys in ``ignore`` dropped; with ``defaults``, keys equal to their default."""
    if not isinstance(args, dict):
        return args
    return {
        k: v
        for k, v in args.items()
        if not _ignored(k, ignore)
        and not (defaults is not None and k in defaults and exact_match(defaults[k], v))
    }


def exact_match(expected: Any, actual: Any) -> bool:
    """Deep equality as JavaScript's isDeepStrictEqual reads JSON (True is not 1)."""
    return partial_match(expected, actual) and partial_match(actual, expected)


def _args(v: Any) -> str:
    return json.dumps(v, sort_keys=True, ensure_ascii=False, default=str)


@register(
    "trajectory:tool-args-match",
    requires_value=True,
    description="some call of a tool had the expected arguments (partial or exact)",
)
def _tool_args_match(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    what, v = "trajectory:tool-args-match", spec.value
    if not isinstance(v, dict):
        raise ConfigError(f"{what}: value should be {{name, args, mode}}")
    m = matcher(what, v, TOOL, extra=("args", "arguments", "mode", "defaults", "ignore"))
    if m.pattern is None:
        raise ConfigError(f"{what}: value needs a 'name' or 'pattern'")
    if "args" not in v and "arguments" not in v:
        raise ConfigError(f"{what}: value needs 'args' (or 'arguments')")
    want = v["args"] if "args" in v else v["arguments"]
    mode = v.get("mode", "partial")
    if mode not in ("partial", "exact"):
        raise ConfigError(f'{what}: mode should be "partial" or "exact", not {mode!r}')
    defaults = v.get("defaults")
    if defaults is not None and not isinstance(defaults, dict):
        raise ConfigError(f"{what}: 'defaults' should map argument names to default values")
    raw_ignore = v.get("ignore", [])
    ignore = [raw_ignore] if isinstance(raw_ignore, str) else raw_ignore
    if not isinstance(ignore, list) or not all(isinstance(e, str) and e.strip() for e in ignore):
        raise ConfigError(f"{what}: 'ignore' should be a name or a list of names")
    want_clean = _clean(want, ignore, None)
    check = exact_match if mode == "exact" else partial_match

    def fn(ctx: ScoreContext) -> Score:
        tools = [s for s in ctx.trajectory if s.type == TOOL]
        calls = [s for s in tools if m.matches(s)]
        with_args = [s for s in calls if s.arguments is not None]
        for s in with_args:
            if check(want_clean, _clean(s.arguments, ignore, defaults)):
                return _verdict(
                    True,
                    f'Tool "{m.label}" matched expected arguments ({mode}) on {label(s)}. '
                    f"Args: {_args(s.arguments)}",
                )
        if not calls:
            return _verdict(
                False, f'No tool call matched "{m.label}". Actual tools: {listing(tools)}'
            )
        if not with_args:
            return _verdict(False, f'Tool "{m.label}" was observed but no arguments were captured')
        seen = ", ".join(_args(s.arguments) for s in with_args)
        return _verdict(
            False,
            f'No call to tool "{m.label}" matched expected arguments ({mode}): {_args(want)}. '
            f"Observed args: {seen}",
        )

    return _needs_steps(fn)


@register(
    "trajectory:step-count",
    requires_value=True,
    description="the number of steps (of a type, or named) is within min/max",
)
def _step_count(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    what, v = "trajectory:step-count", spec.value
    if not isinstance(v, dict):
        raise ConfigError(f"{what}: value should be {{type, name | pattern, min, max}}")
    m = matcher(what, v, None, extra=("min", "max"))
    lo, hi = _bounds(what, v)
    if lo is None and hi is None:
        raise ConfigError(f"{what}: value needs 'min' or 'max'")
    filters = [f"type={'|'.join(m.types)}"] if m.types else []
    if m.pattern:
        filters.append(f"pattern={m.pattern}")
    scope = f" for {', '.join(filters)}" if filters else ""

    def fn(ctx: ScoreContext) -> Score:
        hits = [s for s in ctx.trajectory if m.matches(s)]
        ok = (lo is None or len(hits) >= lo) and (hi is None or len(hits) <= hi)
        reason = f"Matched {len(hits)} trajectory step(s){scope} (expected {_range_text(lo, hi)})"
        return _verdict(ok, reason)

    return _needs_steps(fn)


def summarise(steps: tuple[Step, ...], limit: int = SUMMARY_STEPS) -> str:
    """The trajectory as numbered lines for the judge: type, name, arguments, a clipped
    output, the error; the first and last ``limit / 2`` steps of a longer one."""

    def clip(text: str) -> str:
        text = " ".join(text.split())
        return text if len(text) <= _CLIP else text[:_CLIP] + "..."

    def line(i: int, s: Step) -> str:
        out = f"{i + 1}. {label(s)}"
        if s.arguments is not None:
            out += f" args={clip(_args(s.arguments))}"
        if s.output:
            out += f" -> {clip(s.output)}"
        if s.error:
            out += f" [error: {clip(s.error)}]"
        return out

    indexed = list(enumerate(steps))
    if len(indexed) <= limit:
        return "\n".join(line(i, s) for i, s in indexed)
    head, tail = indexed[: (limit + 1) // 2], indexed[-(limit // 2) :] if limit // 2 else []
    omitted = len(indexed) - len(head) - len(tail)
    return "\n".join(
        [
            *(line(i, s) for i, s in head),
            f"... {omitted} step(s) omitted ...",
            *(line(i, s) for i, s in tail),
        ]
    )


@register(
    "trajectory:goal-success",
    kind="async",
    judge=True,
    requires_value=True,
    threshold="custom",
    description="an LLM judge decides from the output and the trajectory whether the "
    "agent reached the goal",
)
def _goal_success(spec: AssertionSpec, build: BuildContext) -> Any:
    from llmeval.judge import judge as j
    from llmeval.judge.bundled import RUBRIC
    from llmeval.judge.metrics import both
    from llmeval.judge.prompting import parse_verdict, rubric_messages

    v = spec.value
    goal = v.get("goal") if isinstance(v, dict) and set(v) <= {"goal"} else v
    if not isinstance(goal, str) or not goal.strip():
        raise ConfigError(
            "trajectory:goal-success: value should be the goal (a string) or {goal: ...}"
        )
    opts = j.judge_options(spec, build, default_prompt=RUBRIC)

    async def run(ctx: ScoreContext, services: Services) -> Score:
        if not ctx.trajectory:
            return Score(passed=None, error=_NO_TRAJECTORY)
        j.check_available(services, opts.model)
        template = j.load_template(services, opts.prompt)
        rubric = (
            "The agent achieved this goal: "
            + j.render_author("goal", goal.strip(), ctx)
            + "\nJudge from the final OUTPUT and from the CONTEXT, which lists the steps the "
            "agent took (tool calls with their arguments and results). A goal that needed an "
            "action counts as achieved only if the steps show the action was taken."
        )
        messages = j.build_messages(
            opts.prompt,
            lambda: rubric_messages(
                template,
                rubric=rubric,
                output=ctx.output,
                context=summarise(ctx.trajectory),
                question=j.question_of(ctx, opts),
            ),
        )
        verdict, details = await j.ask(services, ctx, opts, messages, parse_verdict)
        got = Score(verdict.passed, verdict.score, verdict.reason, details=details or None)
        return both(got, spec.threshold)

    return j.guarded(run)
