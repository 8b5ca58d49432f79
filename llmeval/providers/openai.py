"""OpenAI chat completions, and any OpenAI-compatible server (Ollama, vLLM,
llama.cpp, LiteLLM) through ``base_url``.

The key is read from ``api_key_env`` (default OPENAI_API_KEY) at construction;
see ``secrets.resolve_key`` for the keyless-localhost rule. The SDK client is
built with ``max_retries=0`` (the retry layer is the only one) and a per-attempt
timeout of ``ModelSpec.timeout_s`` (default 60 s).
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import ProviderError
from llmeval.providers import errors as perr
from llmeval.providers.pricing import cost
from llmeval.providers.sdk import SDKProvider
from llmeval.text import repair

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
)


def is_official(base_url: str | None) -> bool:
    return base_url is None or (urlsplit(base_url).hostname or "").endswith("openai.com")


def chat_kwargs(spec: ModelSpec, request: CompletionRequest) -> dict[str, Any]:
    """The ``chat.completions.create`` arguments for ``request`` (pure)."""
    params = {**spec.params, **request.params}
    kwargs: dict[str, Any] = {
        "model": spec.model,
        "messages": [{"role": m.role, "content": m.content} for m in request.messages],
    }
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


def to_completion(spec: ModelSpec, resp: Any, latency_ms: float) -> Completion:
    """Map a ChatCompletion; a 200 that is not a usable completion is transient."""
    if isinstance(resp, (str, bytes)):
        raise perr.malformed(PROVIDER, "body is not JSON")
    error = getattr(resp, "error", None)
    if error:
        _, _, err_text = perr.error_fields({"error": error})
        raise perr.malformed(PROVIDER, f"error in a 200 answer: {err_text or error}")
    choices = getattr(resp, "choices", None)
    if not choices:
        raise perr.malformed(PROVIDER, "no choices")
    choice = choices[0]
    message = getattr(choice, "message", None)
    text = getattr(message, "content", None) or ""
    usage = getattr(resp, "usage", None)
    n_in = int(getattr(usage, "prompt_tokens", 0) or 0)
    n_out = int(getattr(usage, "completion_tokens", 0) or 0)
    model_id = getattr(resp, "model", None) or spec.model
    finish = getattr(choice, "finish_reason", None)
    return Completion(  # provider text enters here: repaired once (llmeval.text)
        text=repair(text),
        model_id=repair(str(model_id)),
        finish_reason=repair(str(finish)) if finish is not None else None,
        input_tokens=n_in,
        output_tokens=n_out,
        latency_ms=latency_ms,
        cost_usd=cost(spec, model_id, n_in, n_out),
    )


class OpenAIProvider(SDKProvider):
    default_key_env = DEFAULT_KEY_ENV

    def _make_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(
            api_key=self._key,
            base_url=self.spec.base_url,
            max_retries=0,
            timeout=self.timeout_s,
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        import openai
        from openai.types.chat import ChatCompletion

        client = self._get_client()
        kwargs = chat_kwargs(self.spec, request)
        # The SDK's documented ``client.post`` with the same JSON body as
        # ``chat.completions.create``: it skips create()'s per-call TypedDict
        # transform (~25% of the SDK's CPU per request; our body is plain JSON
        # already), with the same auth, timeouts, error classes and response type.
        extra = kwargs.pop("extra_body", {})
        body = {**kwargs, **extra}
        loop = asyncio.get_running_loop()
        start = loop.time()
        failure: ProviderError | None = None
        try:
            resp = await client.post("/chat/completions", body=body, cast_to=ChatCompletion)
        except Exception as e:  # CancelledError is a BaseException and passes through
            failure = perr.from_sdk_error(e, openai, PROVIDER, self.key_env)
        if failure is not None:
            raise failure  # outside the except: no chained SDK error that quotes the body
        return to_completion(self.spec, resp, (loop.time() - start) * 1000.0)
