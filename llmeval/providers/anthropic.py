"""Anthropic messages API.

System messages are lifted into the ``system`` parameter (joined by blank lines);
``max_tokens`` is required by the API and defaults to 1024. ``stop`` maps to
``stop_sequences``. The installed SDK speaks API version 2026-10-21, whose
``messages.create`` no longer has ``temperature``/``top_p``/``top_k``; when a
prompt sets them they are still sent (as extra body fields), so a model that
rejects them answers 400 and the user sees why instead of a silently different
sampling. ``seed`` has no Anthropic equivalent and is not sent (documented in the
README: a prompt shared by several providers may set it).

Tools: ``tools`` become ``{name, description, input_schema}``; ``tool_choice`` auto /
none / required / one tool map to ``{type: auto | none | any | tool}``. An assistant
message's tool calls become ``tool_use`` blocks; consecutive ``tool`` messages become
one user message of ``tool_result`` blocks (the API wants them together).
"""

from __future__ import annotations

from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.domain.tools import ToolCall
from llmeval.errors import ProviderError
from llmeval.providers import errors as perr
from llmeval.providers.assembly import PartialCall, Parts, Timer
from llmeval.providers.sdk import SDKProvider, http_client

DEFAULT_KEY_ENV = "ANTHROPIC_API_KEY"
DEFAULT_MAX_TOKENS = 1024
PROVIDER = "anthropic"

FINISH_REASONS = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
_SAMPLING = ("temperature", "top_p", "top_k")
_PASSTHROUGH = ("metadata", "thinking", "service_tier", "output_config")
KNOWN_PARAMS = frozenset(
    {*_SAMPLING, *_PASSTHROUGH, "max_tokens", "stop", "stop_sequences", "extra_body", "seed"}
)
_CHOICE = {"auto": "auto", "none": "none", "required": "any"}


def wire_messages(messages: tuple[Message, ...]) -> list[dict[str, Any]]:
    """Non-system messages in the Messages API shape."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "system":
            continue
        if m.role == "tool":
            block = {
                "type": "tool_result",
                "tool_use_id": m.tool_call_id or "",
                "content": m.content,
            }
            last = out[-1] if out else None
            if last is not None and last["role"] == "user" and isinstance(last["content"], list):
                last["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
            continue
        if m.tool_calls:
            blocks: list[dict[str, Any]] = (
                [{"type": "text", "text": m.content}] if m.content else []
            )
            blocks += [
                {"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments or {}}
                for c in m.tool_calls
            ]
            out.append({"role": m.role, "content": blocks})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def messages_kwargs(spec: ModelSpec, request: CompletionRequest) -> dict[str, Any]:
    """The ``messages.create`` arguments for ``request`` (pure)."""
    params = {**spec.params, **request.params}
    system = [m.content for m in request.messages if m.role == "system"]
    kwargs: dict[str, Any] = {
        "model": spec.model,
        "max_tokens": int(params.get("max_tokens") or DEFAULT_MAX_TOKENS),
        "messages": wire_messages(request.messages),
    }
    if request.tools:
        kwargs["tools"] = [
            {"name": t.name, "input_schema": t.parameters}
            | ({"description": t.description} if t.description else {})
            for t in request.tools
        ]
        choice = request.tool_choice
        if choice is not None:
            kwargs["tool_choice"] = (
                {"type": "tool", "name": choice.name}
                if choice.mode == "tool"
                else {"type": _CHOICE[choice.mode]}
            )
    if system:
        kwargs["system"] = "\n\n".join(system)
    stop = params.get("stop", params.get("stop_sequences"))
    if stop is not None:
        kwargs["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    for name in _PASSTHROUGH:
        if params.get(name) is not None:
            kwargs[name] = params[name]
    extra = dict(params["extra_body"]) if isinstance(params.get("extra_body"), dict) else {}
    for name in _SAMPLING:
        if params.get(name) is not None:
            extra[name] = params[name]
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def _check_body(resp: Any) -> None:
    if isinstance(resp, (str, bytes)):
        raise perr.malformed(PROVIDER, "body is not JSON")
    error = getattr(resp, "error", None)
    if error or getattr(resp, "type", "message") == "error":
        _, _, message = perr.error_fields({"error": error})
        raise perr.malformed(PROVIDER, f"error in a 200 answer: {message or error}")


def _input_tokens(usage: Any) -> int:
    return sum(
        int(getattr(usage, name, 0) or 0)
        for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )


def _finish(reason: str | None) -> str | None:
    return FINISH_REASONS.get(reason, reason) if reason else None


def message_parts(spec: ModelSpec, resp: Any) -> Parts:
    """Text, tool calls and usage of a Message; a 200 that is not usable is transient."""
    _check_body(resp)
    content = getattr(resp, "content", None)
    if content is None:
        raise perr.malformed(PROVIDER, "no content")
    texts: list[str] = []
    calls: list[ToolCall] = []
    for block in content:
        kind = getattr(block, "type", "")
        if kind == "text":
            texts.append(getattr(block, "text", "") or "")
        elif kind == "tool_use":
            raw = getattr(block, "input", None)
            calls.append(
                ToolCall.from_wire(
                    getattr(block, "name", "") or "",
                    raw if raw is not None else {},
                    getattr(block, "id", "") or "",
                )
            )
    reason = getattr(resp, "stop_reason", None)
    if not texts and not calls and reason is None:  # a real message always says why it stopped
        raise perr.malformed(PROVIDER, "empty message without a stop reason")
    usage = getattr(resp, "usage", None)
    return Parts(
        text="".join(texts),
        tool_calls=calls,
        finish_reason=_finish(reason),
        input_tokens=_input_tokens(usage),
        output_tokens=int(getattr(usage, "output_tokens", 0) or 0),
        model_id=getattr(resp, "model", None) or spec.model,
    )


def to_completion(spec: ModelSpec, resp: Any, latency_ms: float) -> Completion:
    return message_parts(spec, resp).completion(spec, latency_ms)


async def read_stream(stream: Any, timer: Timer) -> Parts:
    """Assemble the Messages stream events (message_start, content_block_*, message_delta)."""
    parts = Parts()
    texts: list[str] = []
    blocks: dict[int, PartialCall] = {}
    stopped = False
    async for event in stream:
        kind = getattr(event, "type", "")
        if kind == "message_start":
            msg = getattr(event, "message", None)
            parts.model_id = getattr(msg, "model", None) or ""
            parts.input_tokens = _input_tokens(getattr(msg, "usage", None))
        elif kind == "content_block_start":
            block = getattr(event, "content_block", None)
            if getattr(block, "type", "") == "tool_use":
                timer.token()
                blocks[event.index] = PartialCall(
                    id=getattr(block, "id", "") or "",
                    name=getattr(block, "name", "") or "",
                    input=getattr(block, "input", None),
                )
        elif kind == "content_block_delta":
            delta = getattr(event, "delta", None)
            dtype = getattr(delta, "type", "")
            if dtype == "text_delta":
                timer.token()
                texts.append(getattr(delta, "text", "") or "")
            elif dtype == "input_json_delta" and event.index in blocks:
                blocks[event.index].arguments += getattr(delta, "partial_json", "") or ""
        elif kind == "message_delta":
            delta = getattr(event, "delta", None)
            parts.finish_reason = _finish(getattr(delta, "stop_reason", None))
            usage = getattr(event, "usage", None)
            parts.output_tokens = int(getattr(usage, "output_tokens", 0) or 0)
        elif kind == "message_stop":
            stopped = True
        elif kind == "error":
            raise perr.malformed(PROVIDER, "error event in the stream")
    if not stopped:
        raise perr.malformed(PROVIDER, "stream ended without message_stop")
    parts.text = "".join(texts)
    parts.tool_calls = [blocks[i].done() for i in sorted(blocks)]
    return parts


def _sdk_base_url(base_url: str | None) -> str | None:
    # the SDK appends /v1/messages itself; accept a base URL written with /v1
    if base_url is None:
        return None
    trimmed = base_url.rstrip("/")
    return trimmed[: -len("/v1")] if trimmed.endswith("/v1") else trimmed


class AnthropicProvider(SDKProvider):
    default_key_env = DEFAULT_KEY_ENV

    def _make_client(self) -> Any:
        import anthropic

        # api_key given explicitly, so the SDK reads no credential env vars or
        # profile files of its own
        return anthropic.AsyncAnthropic(
            api_key=self._key,
            base_url=_sdk_base_url(self.spec.base_url),
            max_retries=0,
            timeout=self.timeout_s,
            open_telemetry=False,
            http_client=http_client(anthropic, self._event_hooks()),
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        import anthropic

        client = self._get_client()
        kwargs = messages_kwargs(self.spec, request)
        timer = Timer()
        failure: ProviderError | None = None
        try:
            if self.spec.stream:
                stream = await client.messages.create(**kwargs, stream=True)
                parts = await read_stream(stream, timer)
            else:
                parts = message_parts(self.spec, await client.messages.create(**kwargs))
        except Exception as e:  # CancelledError is a BaseException and passes through
            failure = perr.from_sdk_error(e, anthropic, PROVIDER, self.key_env)
        if failure is not None:
            raise failure  # outside the except: no chained SDK error that quotes the body
        return parts.completion(self.spec, timer.elapsed_ms(), timer.ttft_ms)
