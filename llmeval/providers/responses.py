"""OpenAI's Responses API (``api: responses`` on an openai model): ``responses.create``.

The request is the same ``CompletionRequest`` as for Chat Completions, mapped to the
Responses shapes: messages become ``input`` items (an assistant's tool calls become
``function_call`` items, a tool result a ``function_call_output``), tools are flat
``{type: function, name, parameters}``. Chat-style params are translated where the
Responses API has an equivalent (``max_tokens`` -> ``max_output_tokens``,
``reasoning_effort`` -> ``reasoning.effort``, ``verbosity`` -> ``text.verbosity``,
``response_format`` -> ``text.format``); ``KNOWN_PARAMS`` lists what is accepted.
"""

from __future__ import annotations

from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.domain.tools import ToolCall
from llmeval.providers import errors as perr
from llmeval.providers.assembly import Parts, Timer

PROVIDER = "openai"

_PASSTHROUGH = (
    "temperature",
    "top_p",
    "reasoning",
    "text",
    "parallel_tool_calls",
    "service_tier",
    "store",
    "metadata",
    "user",
    "safety_identifier",
    "prompt_cache_key",
    "truncation",
    "include",
    "top_logprobs",
    "max_tool_calls",
    "instructions",
)
KNOWN_PARAMS = frozenset(
    {
        *_PASSTHROUGH,
        "max_tokens",
        "max_completion_tokens",
        "max_output_tokens",
        "reasoning_effort",
        "verbosity",
        "response_format",
        "extra_body",
    }
)


def input_items(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": m.tool_call_id or "",
                    "output": m.content,
                }
            )
            continue
        if m.content or not m.tool_calls:
            items.append({"role": m.role, "content": m.content})
        for c in m.tool_calls:
            items.append(
                {
                    "type": "function_call",
                    "call_id": c.id,
                    "name": c.name,
                    "arguments": c.arguments_text,
                }
            )
    return items


def _text_format(fmt: Any) -> Any:
    # Chat: {type: json_schema, json_schema: {name, schema, strict}}; Responses: flat
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema" and "json_schema" in fmt:
        return {"type": "json_schema", **fmt["json_schema"]}
    return fmt


def responses_kwargs(spec: ModelSpec, request: CompletionRequest) -> dict[str, Any]:
    """The ``responses.create`` arguments for ``request`` (pure)."""
    params = {**spec.params, **request.params}
    kwargs: dict[str, Any] = {"model": spec.model, "input": input_items(request.messages)}
    if request.tools:
        tools = []
        for t in request.tools:
            tool: dict[str, Any] = {"type": "function", "name": t.name, "parameters": t.parameters}
            if t.description:
                tool["description"] = t.description
            if t.strict is not None:
                tool["strict"] = t.strict
            tools.append(tool)
        kwargs["tools"] = tools
        choice = request.tool_choice
        if choice is not None:
            kwargs["tool_choice"] = (
                {"type": "function", "name": choice.name} if choice.mode == "tool" else choice.mode
            )
    for name in _PASSTHROUGH:
        if params.get(name) is not None:
            kwargs[name] = params[name]
    limit = params.get(
        "max_output_tokens", params.get("max_completion_tokens", params.get("max_tokens"))
    )
    if limit is not None:
        kwargs["max_output_tokens"] = limit
    if params.get("reasoning_effort") is not None:
        kwargs["reasoning"] = {**kwargs.get("reasoning", {}), "effort": params["reasoning_effort"]}
    text = dict(kwargs.get("text") or {})
    if params.get("verbosity") is not None:
        text["verbosity"] = params["verbosity"]
    if params.get("response_format") is not None:
        text["format"] = _text_format(params["response_format"])
    if text:
        kwargs["text"] = text
    if isinstance(params.get("extra_body"), dict):
        kwargs["extra_body"] = dict(params["extra_body"])
    return kwargs


def response_parts(spec: ModelSpec, resp: Any) -> Parts:
    """Text, tool calls, finish reason and usage of a ``Response``."""
    if isinstance(resp, (str, bytes)):
        raise perr.malformed(PROVIDER, "body is not JSON")
    error = getattr(resp, "error", None)
    if error:
        raise perr.malformed(PROVIDER, f"error in a 200 answer: {getattr(error, 'message', error)}")
    output = getattr(resp, "output", None)
    if output is None:
        raise perr.malformed(PROVIDER, "no output")
    texts: list[str] = []
    calls: list[ToolCall] = []
    for item in output:
        kind = getattr(item, "type", "")
        if kind == "message":
            for block in getattr(item, "content", None) or ():
                if getattr(block, "type", "") == "output_text":
                    texts.append(getattr(block, "text", "") or "")
        elif kind == "function_call":
            calls.append(
                ToolCall.from_wire(
                    getattr(item, "name", "") or "",
                    getattr(item, "arguments", ""),
                    getattr(item, "call_id", "") or "",
                )
            )
    usage = getattr(resp, "usage", None)
    return Parts(
        text="".join(texts),
        tool_calls=calls,
        finish_reason=finish_reason(resp, bool(calls)),
        input_tokens=int(getattr(usage, "input_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        model_id=getattr(resp, "model", None) or spec.model,
    )


def finish_reason(resp: Any, called: bool) -> str:
    """The Chat Completions vocabulary, so ``finish-reason`` reads the same for both APIs."""
    status = getattr(resp, "status", None)
    if status == "incomplete":
        reason = getattr(getattr(resp, "incomplete_details", None), "reason", None)
        return "content_filter" if reason == "content_filter" else "length"
    if status == "failed":
        return "error"
    return "tool_calls" if called else "stop"


async def read_stream(spec: ModelSpec, stream: Any, timer: Timer) -> Parts:
    """Deltas time the first token; the ``response.completed`` event carries the whole
    response (tool calls, usage), and the text is taken from the deltas."""
    pieces: list[str] = []
    final: Any = None
    async for event in stream:
        kind = getattr(event, "type", "")
        if kind == "response.output_text.delta":
            timer.token()
            pieces.append(getattr(event, "delta", "") or "")
        elif kind == "response.function_call_arguments.delta":
            timer.token()
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            final = getattr(event, "response", None)
        elif kind == "error":
            raise perr.malformed(PROVIDER, f"error event: {getattr(event, 'message', '')}")
    if final is None:
        raise perr.malformed(PROVIDER, "stream ended without response.completed")
    parts = response_parts(spec, final)
    if pieces:
        parts.text = "".join(pieces)
    return parts


async def call(client: Any, spec: ModelSpec, request: CompletionRequest, timer: Timer) -> Parts:
    kwargs = responses_kwargs(spec, request)
    if spec.stream:
        stream = await client.responses.create(**kwargs, stream=True)
        return await read_stream(spec, stream, timer)
    resp = await client.responses.create(**kwargs)
    return response_parts(spec, resp)
