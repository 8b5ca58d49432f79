"""OpenTelemetry spans -> trajectory steps (pure).

One neutral span shape (``SpanRecord``) is filled from the SDK's in-process spans
(``capture``) and from OTLP/HTTP JSON (``otlp``), so both paths normalise alike.

The mapping, in order (first match wins):

1. GenAI semantic conventions: ``gen_ai.operation.name = execute_tool`` is a ``tool``
   step named ``gen_ai.tool.name`` with arguments ``gen_ai.tool.call.arguments`` and
   output ``gen_ai.tool.call.result``; an operation of ``chat``, ``text_completion``,
   ``generate_content`` or ``embeddings`` is a ``model`` step named by
   ``gen_ai.request.model`` (else ``gen_ai.response.model``, else the span name).
2. Fallback for other instrumentations: a span carrying one of ``tool.name``,
   ``tool_name``, ``tool``, ``function.name``, ``function_name``, ``ai.toolCall.name``,
   ``agent.tool_name``, ``agent.tool`` is a ``tool`` step (arguments from
   ``tool.arguments`` / ``tool.args`` / ``tool.input`` / ``function.arguments`` /
   ``input.value``; output from ``tool.result`` / ``tool.output`` / ``output.value``);
   a span named ``execute_tool <name>`` is a tool step named ``<name>``.
3. Anything else is a ``span`` step named by the span name (agent spans, HTTP spans...).

Steps are ordered by start time (then end time, then arrival). A span whose status is
ERROR gives the step an ``error``: the status description, else the message of its
``exception`` event, else ``error.type``, else "error". llmeval's own parent span of
a case (``root_span_id``) is left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from llmeval.domain.trajectory import MODEL, SPAN, TOOL, Step
from llmeval.traces.steps import as_text, parse_arguments

TOOL_OPERATION = "execute_tool"
MODEL_OPERATIONS = frozenset({"chat", "text_completion", "generate_content", "embeddings"})
FALLBACK_TOOL_NAME_KEYS = (
    "tool.name",
    "tool_name",
    "tool",
    "function.name",
    "function_name",
    "ai.toolCall.name",
    "agent.tool_name",
    "agent.tool",
)
ARGUMENT_KEYS = (
    "gen_ai.tool.call.arguments",
    "tool.arguments",
    "tool.args",
    "tool.input",
    "function.arguments",
    "input.value",
)
RESULT_KEYS = ("gen_ai.tool.call.result", "tool.result", "tool.output", "output.value")
_MAPPED = frozenset({*ARGUMENT_KEYS, *RESULT_KEYS, *FALLBACK_TOOL_NAME_KEYS, "gen_ai.tool.name"})
_KEEP_VALUE_CHARS = 500  # attributes kept on a step are for showing, not for storage


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One finished span, as either source reports it. Ids are lower-case hex."""

    name: str
    trace_id: str
    span_id: str
    parent_span_id: str | None = None
    start_ns: int = 0
    end_ns: int = 0
    attributes: Mapping[str, Any] = field(default_factory=dict)
    status: str = "unset"  # unset | ok | error
    status_message: str = ""
    events: tuple[tuple[str, Mapping[str, Any]], ...] = ()


def _first(attrs: Mapping[str, Any], keys: Iterable[str]) -> Any:
    for k in keys:
        v = attrs.get(k)
        if v is not None and v != "":
            return v
    return None


def _tool_name(span: SpanRecord) -> str | None:
    attrs = span.attributes
    op = attrs.get("gen_ai.operation.name")
    name = attrs.get("gen_ai.tool.name")
    if op == TOOL_OPERATION:
        if isinstance(name, str) and name.strip():
            return name.strip()
        rest = span.name.removeprefix(TOOL_OPERATION).strip()
        return rest or span.name
    if op in MODEL_OPERATIONS:
        return None
    found = _first(attrs, ("gen_ai.tool.name", *FALLBACK_TOOL_NAME_KEYS))
    if isinstance(found, str) and found.strip() and not found.strip().startswith(("[", "{")):
        return found.strip()
    if span.name.startswith(TOOL_OPERATION + " "):
        return span.name[len(TOOL_OPERATION) + 1 :].strip() or None
    return None


def _error(span: SpanRecord) -> str | None:
    if span.status != "error":
        return None
    if span.status_message:
        return span.status_message
    for name, attrs in span.events:
        if name == "exception":
            message = attrs.get("exception.message") or attrs.get("exception.type")
            if message:
                return str(message)
    return str(span.attributes.get("error.type") or "error")


def _kept(attrs: Mapping[str, Any], span: SpanRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"span": span.name}
    for k, v in attrs.items():
        if k in _MAPPED:
            continue
        if isinstance(v, str) and len(v) > _KEEP_VALUE_CHARS:
            v = v[:_KEEP_VALUE_CHARS] + "..."
        out[k] = v
    return out


def to_step(span: SpanRecord) -> Step:
    attrs = span.attributes
    duration = (span.end_ns - span.start_ns) / 1e6 if span.end_ns >= span.start_ns else None
    tool = _tool_name(span)
    extra = _kept(attrs, span)
    if tool is not None:
        arguments, odd = parse_arguments(_first(attrs, ARGUMENT_KEYS))
        if odd is not None:
            extra["arguments_raw"] = odd
        return Step(
            type=TOOL,
            name=tool,
            arguments=arguments,
            output=as_text(_first(attrs, RESULT_KEYS)),
            error=_error(span),
            duration_ms=duration,
            source="otel",
            attributes=extra,
        )
    if attrs.get("gen_ai.operation.name") in MODEL_OPERATIONS:
        model = _first(attrs, ("gen_ai.request.model", "gen_ai.response.model"))
        return Step(
            type=MODEL,
            name=str(model or span.name),
            error=_error(span),
            duration_ms=duration,
            source="otel",
            attributes=extra,
        )
    return Step(
        type=SPAN,
        name=span.name,
        error=_error(span),
        duration_ms=duration,
        source="otel",
        attributes=extra,
    )


def spans_to_steps(
    spans: Iterable[SpanRecord], root_span_id: str | None = None
) -> tuple[Step, ...]:
    """The trajectory of one trace: every span but llmeval's own, in start order."""
    indexed = [(i, s) for i, s in enumerate(spans) if s.span_id != root_span_id]
    indexed.sort(key=lambda p: (p[1].start_ns, p[1].end_ns, p[0]))
    return tuple(to_step(s) for _, s in indexed)
