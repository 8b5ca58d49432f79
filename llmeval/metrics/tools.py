"""Tool-call assertions, over the calls the model made (``ScoreContext.tool_calls``).

- ``is-valid-openai-tools-call`` (promptfoo): there is at least one call, and each
  names a declared tool and has arguments that validate against its ``parameters``.
- ``tool-call-f1`` (promptfoo): F1 of the *set* of called tool names against the
  expected names (a list or comma-separated string); threshold default 1.0.
- ``tool-call`` (llmeval): the model called ``name``, optionally with ``arguments``
  matching a partial object or a JSON ``schema``, at ``position`` first | only | any.
  ``not-tool-call`` passes when no call matches.
- ``finish-reason`` (promptfoo): the provider's finish reason equals the value,
  case-insensitively (llmeval normalises to stop | length | tool_calls | content_filter).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.domain.tools import ToolCall
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.json import build_validator
from llmeval.metrics.registry import register
from llmeval.metrics.values import check_options, list_value

Fn = Callable[[ScoreContext], Score]
POSITIONS = ("any", "first", "only")


def _first_error(schema: dict[str, Any], instance: Any) -> str | None:
    from jsonschema import validators

    cls = validators.validator_for(schema)
    err = next(cls(schema).iter_errors(instance), None)
    if err is None:
        return None
    where = "/".join(str(p) for p in err.absolute_path)
    return f"{'data/' + where if where else 'data'}: {err.message}"


@register(
    "is-valid-openai-tools-call", description="every tool call validates against the declared tools"
)
def _valid_tools_call(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)

    def fn(ctx: ScoreContext) -> Score:
        if not ctx.tool_calls:
            return Score(passed=False, score=0.0, reason="the model made no tool call")
        if not ctx.tools:
            return Score(passed=False, score=0.0, reason="no tools were declared for this request")
        declared = {t.name: t for t in ctx.tools}
        for call in ctx.tool_calls:
            tool = declared.get(call.name)
            if tool is None:
                return Score(
                    passed=False,
                    score=0.0,
                    reason=f'Called "{call.name}", but there is no function with that name',
                )
            if call.arguments is None:
                return Score(
                    passed=False,
                    score=0.0,
                    reason=f"arguments of the call to {call.name} are not valid JSON",
                )
            problem = _first_error(tool.parameters, call.arguments)
            if problem is not None:
                return Score(
                    passed=False,
                    score=0.0,
                    reason=f"Call to {call.name} does not match schema: {problem}",
                )
        return Score(passed=True, score=1.0, reason=f"{len(ctx.tool_calls)} valid tool call(s)")

    return fn


def _names_from_output(output: str) -> set[str]:
    """Tool names written as JSON in the output (promptfoo accepts serialised calls)."""
    try:
        data = json.loads(output)
    except ValueError:
        return set()
    if isinstance(data, dict):
        data = data.get("tool_calls", [data])
    names = set()
    for item in data if isinstance(data, list) else ():
        if isinstance(item, dict):
            inner = item.get("function")
            fn: dict[str, Any] = inner if isinstance(inner, dict) else item
            if isinstance(fn.get("name"), str):
                names.add(fn["name"])
    return names


@register(
    "tool-call-f1",
    threshold="min",
    default_threshold=1.0,
    requires_value=True,
    description="F1 of called vs expected tool names (unordered)",
)
def _tool_call_f1(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    expected = {n.strip() for n in list_value("tool-call-f1", spec.value) if n.strip()}
    if not expected:
        raise ConfigError("'tool-call-f1' needs at least one expected tool name")

    def fn(ctx: ScoreContext) -> Score:
        actual = {c.name for c in ctx.tool_calls} or _names_from_output(ctx.output)
        hit = len(expected & actual)
        precision = hit / len(actual) if actual else 0.0
        recall = hit / len(expected)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return Score(
            passed=None,
            score=f1,
            reason=(
                f"Tool Call F1 {f1:.3f} (precision={precision:.3f}, recall={recall:.3f}); "
                f"expected [{', '.join(sorted(expected))}], called [{', '.join(sorted(actual)) or '(none)'}]"
            ),
            details={"precision": precision, "recall": recall},
        )

    return fn


def partial_match(expected: Any, actual: Any) -> bool:
    """Every key of ``expected`` is in ``actual`` with a matching value (recursively);
    lists match element by element; scalars by equality (1 == 1.0, True != 1)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and partial_match(v, actual[k]) for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(partial_match(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    return bool(expected == actual)


@register(
    "tool-call",
    requires_value=True,
    description="the model called a tool (name, arguments, position)",
)
def _tool_call(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    value = spec.value
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"]:
        raise ConfigError(
            "'tool-call' value should be a tool name or {name, arguments | schema, position}"
        )
    unknown = sorted(set(value) - {"name", "arguments", "schema", "position"})
    if unknown:
        raise ConfigError(
            f"unknown key(s) {unknown} in 'tool-call' value (known: name, arguments, schema, position)"
        )
    if "arguments" in value and "schema" in value:
        raise ConfigError("'tool-call' takes 'arguments' (a partial object) or 'schema', not both")
    name: str = value["name"]
    position = value.get("position", "any")
    if position not in POSITIONS:
        raise ConfigError(
            f"'tool-call' position should be one of {', '.join(POSITIONS)}, not {position!r}"
        )
    want_args = value.get("arguments")
    if want_args is not None and not isinstance(want_args, dict):
        raise ConfigError("'tool-call' arguments should be a mapping (a partial object)")
    validate = build_validator(value["schema"], build.root) if "schema" in value else None

    def matches(call: ToolCall) -> str | None:
        """None if ``call`` matches, else why not."""
        if call.name != name:
            return f"called {call.name}"
        if (want_args is not None or validate is not None) and call.arguments is None:
            return f"{name} arguments are not valid JSON"
        if want_args is not None and not partial_match(want_args, call.arguments):
            return f"{name} called with {json.dumps(call.arguments, sort_keys=True)}"
        if validate is not None:
            problem = validate(call.arguments)
            if problem is not None:
                return f"{name} arguments: {problem}"
        return None

    def fn(ctx: ScoreContext) -> Score:
        calls = ctx.tool_calls
        if not calls:
            return Score(passed=False, score=0.0, reason=f"no tool call (expected {name})")
        if position == "only" and len(calls) != 1:
            return Score(
                passed=False, score=0.0, reason=f"{len(calls)} tool calls, expected only {name}"
            )
        pool = calls[:1] if position in ("first", "only") else calls
        why = [w for w in (matches(c) for c in pool)]
        if any(w is None for w in why):
            return Score(
                passed=True,
                score=1.0,
                reason=f"called {name}" + ("" if position == "any" else f" ({position})"),
            )
        return Score(passed=False, score=0.0, reason="; ".join(dict.fromkeys(w for w in why if w)))

    return fn


@register(
    "finish-reason",
    requires_value=True,
    description="the provider's finish reason equals the value",
)
def _finish_reason(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    if not isinstance(spec.value, str) or not spec.value.strip():
        raise ConfigError("'finish-reason' needs a string value (e.g. stop, length, tool_calls)")
    want = spec.value.strip().lower()

    def fn(ctx: ScoreContext) -> Score:
        got = ctx.finish_reason
        if not got:
            return Score(
                passed=False, score=0.0, reason="Provider did not supply stop/finish reason"
            )
        ok = got.lower() == want
        reason = (
            "finish reason matches"
            if ok
            else f'Expected finish reason "{spec.value}" but got "{got}"'
        )
        return Score(passed=ok, score=1.0 if ok else 0.0, reason=reason)

    return fn
