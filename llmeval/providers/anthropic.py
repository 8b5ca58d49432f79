"""Anthropic messages API.

System messages are lifted into the ``system`` parameter (joined by blank lines);
``max_tokens`` is required by the API and defaults to 1024. ``stop`` maps to
``stop_sequences``. The installed SDK speaks API version 2026-10-21, whose
``messages.create`` no longer has ``temperature``/``top_p``/``top_k``; when a
prompt sets them they are still sent (as extra body fields), so a model that
rejects them answers 400 and the user sees why instead of a silently different
sampling. ``seed`` has no Anthropic equivalent and is dropped.
"""

from __future__ import annotations

import asyncio
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import ProviderError
from llmeval.providers import errors as perr
from llmeval.providers.pricing import cost
from llmeval.providers.sdk import SDKProvider
from llmeval.text import repair

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


def messages_kwargs(spec: ModelSpec, request: CompletionRequest) -> dict[str, Any]:
    """The ``messages.create`` arguments for ``request`` (pure)."""
    params = {**spec.params, **request.params}
    system = [m.content for m in request.messages if m.role == "system"]
    kwargs: dict[str, Any] = {
        "model": spec.model,
        "max_tokens": int(params.get("max_tokens") or DEFAULT_MAX_TOKENS),
        "messages": [
            {"role": m.role, "content": m.content} for m in request.messages if m.role != "system"
        ],
    }
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


def to_completion(spec: ModelSpec, resp: Any, latency_ms: float) -> Completion:
    """Map a Message; a 200 that is not a usable message is transient."""
    if isinstance(resp, (str, bytes)):
        raise perr.malformed(PROVIDER, "body is not JSON")
    error = getattr(resp, "error", None)
    if error or getattr(resp, "type", "message") == "error":
        _, _, message = perr.error_fields({"error": error})
        raise perr.malformed(PROVIDER, f"error in a 200 answer: {message or error}")
    content = getattr(resp, "content", None)
    if content is None:
        raise perr.malformed(PROVIDER, "no content")
    text = "".join(
        getattr(block, "text", "") or ""
        for block in content
        if getattr(block, "type", "") == "text"
    )
    reason = getattr(resp, "stop_reason", None)
    if not text and reason is None:  # a real message always says why it stopped
        raise perr.malformed(PROVIDER, "empty message without a stop reason")
    usage = getattr(resp, "usage", None)
    n_in = sum(
        int(getattr(usage, name, 0) or 0)
        for name in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
    )
    n_out = int(getattr(usage, "output_tokens", 0) or 0)
    model_id = getattr(resp, "model", None) or spec.model
    return Completion(  # provider text enters here: repaired once (llmeval.text)
        text=repair(text),
        model_id=repair(str(model_id)),
        finish_reason=repair(str(FINISH_REASONS.get(reason, reason))) if reason else None,
        input_tokens=n_in,
        output_tokens=n_out,
        latency_ms=latency_ms,
        cost_usd=cost(spec, model_id, n_in, n_out),
    )


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
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        import anthropic

        client = self._get_client()
        kwargs = messages_kwargs(self.spec, request)
        loop = asyncio.get_running_loop()
        start = loop.time()
        failure: ProviderError | None = None
        try:
            resp = await client.messages.create(**kwargs)
        except Exception as e:  # CancelledError is a BaseException and passes through
            failure = perr.from_sdk_error(e, anthropic, PROVIDER, self.key_env)
        if failure is not None:
            raise failure  # outside the except: no chained SDK error that quotes the body
        return to_completion(self.spec, resp, (loop.time() - start) * 1000.0)
