"""OpenAI Chat Completions (and the Responses API with ``api: responses``, see
``providers/responses.py``), and any OpenAI-compatible server (Ollama, vLLM,
llama.cpp, LiteLLM) through ``base_url``.

The key is read from ``api_key_env`` (default OPENAI_API_KEY) at construction;
see ``secrets.resolve_key`` for the keyless-localhost rule. The SDK client is
built with ``max_retries=0`` (the retry layer is the only one) and a per-attempt
timeout of ``ModelSpec.timeout_s`` (default 60 s).

Params: ``KNOWN_PARAMS`` are sent as the API names them; anything else is refused
by ``llmeval validate`` (file:line) — a server-specific field goes under
``params.extra_body``, which is merged into the JSON body unchanged.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.domain.tools import ToolCall
from llmeval.errors import ProviderError
from llmeval.providers import errors as perr
from llmeval.providers.assembly import PartialCall, Parts, Timer
from llmeval.providers.sdk import SDKProvider, http_client

DEFAULT_KEY_ENV = "OPENAI_API_KEY"
PROVIDER = "openai"

# request params passed through unchanged when present
_PASSTHROUGH = (
    "temperature",
    "top_p",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "response_format",
    "reasoning_effort",
    "verbosity",
    "logit_bias",
    "service_tier",
    "parallel_tool_calls",
    "logprobs",
    "top_logprobs",
    "user",
    "store",
    "metadata",
    "safety_identifier",
    "prompt_cache_key",
)
KNOWN_PARAMS = frozenset(
    {*_PASSTHROUGH, "stop", "max_tokens", "max_completion_tokens", "extra_body"}
)


def is_official(base_url: str | None) -> bool:
    return base_url is None or (urlsplit(base_url).hostname or "").endswith("openai.com")


def chat_message(m: Message) -> dict[str, Any]:
    """One message in the Chat Completions shape (assistant tool calls, tool results)."""
    if m.role == "tool":
        return {"role": "tool", "tool_call_id": m.tool_call_id or "", "content": m.content}
    out: dict[str, Any] = {"role": m.role, "content": m.content}
    if m.tool_calls:
        out["content"] = m.content or None
        out["tool_calls"] = [
            {
                "id": c.id,
                "type": "function",
                "function": {"name": c.name, "arguments": c.arguments_text},
            }
            for c in m.tool_calls
        ]
    return out


def chat_kwargs(spec: ModelSpec, request: CompletionRequest) -> dict[str, Any]:
    """The ``chat.completions.create`` arguments for ``request`` (pure)."""
    params = {**spec.params, **request.params}
    kwargs: dict[str, Any] = {
        "model": spec.model,
        "messages": [chat_message(m) for m in request.messages],
    }
    if request.tools:
        kwargs["tools"] = [t.to_json() for t in request.tools]
        if request.tool_choice is not None:
            kwargs["tool_choice"] = request.tool_choice.to_json()
    for name in _PASSTHROUGH:
        if params.get(name) is not None:
            kwargs[name] = params[name]
    if params.get("stop") is not None:
        stop = params["stop"]
        kwargs["stop"] = [stop] if isinstance(stop, str) else list(stop)
    limit = params.get("max_completion_tokens", params.get("max_tokens"))
    if limit is not None:
        # api.openai.com wants max_completion_tokens (required by o-series/gpt-5);
        # compatible servers widely understand only max_tokens
        if "max_completion_tokens" in params or is_official(spec.base_url):
            kwargs["max_completion_tokens"] = limit
        else:
            kwargs["max_tokens"] = limit
    if isinstance(params.get("extra_body"), dict):
        kwargs["extra_body"] = dict(params["extra_body"])
    return kwargs


class _Fields(dict[str, Any]):
    """A JSON object read by attribute, as the SDK's response types are (``chat_parts``
    reads them with ``getattr``); still a dict, so ``error_fields`` reads it too."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def json_body(raw: bytes | str) -> Any:
    """A JSON answer body with attribute access; a body that is not JSON is transient."""
    try:
        return json.loads(raw, object_hook=_Fields)
    except ValueError:  # UnicodeDecodeError is a ValueError too
        raise perr.malformed(PROVIDER, "body is not JSON") from None


def _check_body(resp: Any) -> None:
    if isinstance(resp, (str, bytes)):
        raise perr.malformed(PROVIDER, "body is not JSON")
    error = getattr(resp, "error", None)
    if error:
        _, _, err_text = perr.error_fields({"error": error})
        raise perr.malformed(PROVIDER, f"error in a 200 answer: {err_text or error}")


def chat_parts(spec: ModelSpec, resp: Any) -> Parts:
    """Text, tool calls and usage of a ChatCompletion; a 200 that is not usable is transient."""
    _check_body(resp)
    choices = getattr(resp, "choices", None)
    if not choices:
        raise perr.malformed(PROVIDER, "no choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    calls = []
    for tc in getattr(message, "tool_calls", None) or ():
        fn = getattr(tc, "function", None)
        if fn is not None:
            calls.append(
                ToolCall.from_wire(
                    getattr(fn, "name", "") or "",
                    getattr(fn, "arguments", ""),
                    getattr(tc, "id", "") or "",
                )
            )
    usage = getattr(resp, "usage", None)
    return Parts(
        text=getattr(message, "content", None) or "",
        tool_calls=calls,
        finish_reason=getattr(choice, "finish_reason", None),
        input_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        output_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        model_id=getattr(resp, "model", None) or spec.model,
    )


def to_completion(spec: ModelSpec, resp: Any, latency_ms: float) -> Completion:
    return chat_parts(spec, resp).completion(spec, latency_ms)


async def read_chat_stream(stream: Any, timer: Timer) -> Parts:
    """Assemble Chat Completions chunks (``stream_options.include_usage`` gives usage)."""
    parts = Parts()
    text: list[str] = []
    calls: dict[int, PartialCall] = {}
    async for chunk in stream:
        _check_body(chunk)
        parts.model_id = getattr(chunk, "model", None) or parts.model_id
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            parts.input_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
            parts.output_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        for choice in getattr(chunk, "choices", None) or ():
            if getattr(choice, "index", 0) != 0:
                continue
            delta = getattr(choice, "delta", None)
            piece = getattr(delta, "content", None)
            if piece:
                timer.token()
                text.append(piece)
            for tc in getattr(delta, "tool_calls", None) or ():
                timer.token()
                call = calls.setdefault(int(getattr(tc, "index", 0) or 0), PartialCall())
                call.id = getattr(tc, "id", None) or call.id
                fn = getattr(tc, "function", None)
                call.name = getattr(fn, "name", None) or call.name
                call.arguments += getattr(fn, "arguments", None) or ""
            if getattr(choice, "finish_reason", None):
                parts.finish_reason = choice.finish_reason
    parts.text = "".join(text)
    parts.tool_calls = [calls[i].done() for i in sorted(calls)]
    if parts.finish_reason is None and not parts.text and not parts.tool_calls:
        raise perr.malformed(PROVIDER, "stream ended without a completion")
    return parts


# One event of each shape the stream reader meets, to build the SDK's lazy parsers.
_SAMPLE_EVENTS = (
    {"type": "response.output_text.delta", "delta": "x", "item_id": "i", "output_index": 0},
    {
        "type": "response.completed",
        "response": {
            "id": "r",
            "output": [{"type": "message", "content": [{"type": "output_text", "text": "x"}]}],
        },
    },
)


def _ready_responses(client: Any) -> None:
    """Do the SDK's one-time Responses set-up now, while the client is built (before
    the call's timer starts): the resource module is imported on first access, and
    the discriminated-union tables of the stream events are built while parsing the
    first event (seconds on a slow machine). Left lazy, the first token's time
    included them and the events that arrived meanwhile came out in one burst."""
    import contextlib

    from openai import _models
    from openai.types.responses import ResponseStreamEvent

    _ = client.responses
    construct = getattr(_models, "construct_type", None)  # what the SDK's stream uses
    if construct is None:
        return
    with contextlib.suppress(Exception):  # a warm-up only: any SDK change just skips it
        for event in _SAMPLE_EVENTS:
            construct(value=event, type_=ResponseStreamEvent)


class OpenAIProvider(SDKProvider):
    default_key_env = DEFAULT_KEY_ENV

    def _make_client(self) -> Any:
        import openai

        client = openai.AsyncOpenAI(
            api_key=self._key,
            base_url=self.spec.base_url,
            max_retries=0,
            timeout=self.timeout_s,
            http_client=http_client(openai, self._event_hooks()),
        )
        if self.spec.api == "responses":
            _ready_responses(client)
        return client

    async def complete(self, request: CompletionRequest) -> Completion:
        import openai

        client = self._get_client()
        timer = Timer()
        failure: ProviderError | None = None
        try:
            if self.spec.api == "responses":
                from llmeval.providers import responses

                parts = await responses.call(client, self.spec, request, timer)
            else:
                parts = await self._chat(client, request, timer)
        except Exception as e:  # CancelledError is a BaseException and passes through
            failure = perr.from_sdk_error(e, openai, PROVIDER, self.key_env)
        if failure is not None:
            raise failure  # outside the except: no chained SDK error that quotes the body
        return parts.completion(self.spec, timer.elapsed_ms(), timer.ttft_ms)

    async def _chat(self, client: Any, request: CompletionRequest, timer: Timer) -> Parts:
        kwargs = chat_kwargs(self.spec, request)
        if self.spec.stream:
            kwargs["stream_options"] = {"include_usage": True}
            stream = await client.chat.completions.create(**kwargs, stream=True)
            return await read_chat_stream(stream, timer)
        # The SDK's documented ``client.post`` with the same JSON body as
        # ``chat.completions.create``: it skips create()'s per-call TypedDict
        # transform (~25% of the SDK's CPU per request; our body is plain JSON
        # already), with the same auth, timeouts and error classes. The body comes
        # back as bytes: building the typed ChatCompletion (a recursive pydantic
        # construct) was another ~20%, and ``chat_parts`` only reads a few fields.
        extra = kwargs.pop("extra_body", {})
        body = {**kwargs, **extra}
        raw = await client.post("/chat/completions", body=body, cast_to=bytes)
        return chat_parts(self.spec, json_body(raw))
