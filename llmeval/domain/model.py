from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Price:
    """US dollars per million tokens."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6


@dataclass(frozen=True, slots=True)
class HttpTarget:
    """An application behind HTTP (provider ``http``), as configured in llmeval.yaml.

    ``headers`` values may reference ``{{ env.NAME }}`` and ``{{ api_key }}`` only (secrets
    never live in the config); ``body`` is a JSON template (a mapping, list or JSON text)
    whose strings are Jinja templates over ``prompt``, ``messages``, ``vars``, ``tools``;
    the ``extract`` values are JMESPath expressions over the JSON answer (keys:
    ``output``, ``input_tokens``, ``output_tokens``, ``cost``, ``tool_calls``,
    ``finish_reason``); with ``stream`` the answer is server-sent events and
    ``stream_delta`` extracts each event's text.
    """

    url: str
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    extract: dict[str, str] = field(default_factory=dict)
    stream_delta: str | None = None
    # ``traces: otlp``: how long to wait for the app's spans after its answer, and the
    # port of the local OTLP receiver (0: a free one, shown as ``{{ otlp_endpoint }}``)
    traces_wait_ms: int = 2000
    otlp_port: int = 0

    def cache_identity(self) -> dict[str, Any]:
        """What makes two answers differ (never the headers: they may hold secrets)."""
        return {
            "url": self.url,
            "method": self.method,
            "body": self.body,
            "extract": self.extract,
            "stream_delta": self.stream_delta,
        }


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A configured model: an alias from llmeval.yaml or an inline ``provider:model``.

    ``api_key_env`` names the environment variable; the key itself is never stored.
    """

    alias: str
    provider: str  # openai | anthropic | python | echo | an entry-point plugin
    model: str = ""  # provider's model id; for python, the target "file.py:func"
    params: dict[str, Any] = field(default_factory=dict)
    base_url: str | None = None
    api_key_env: str | None = None
    price: Price | None = None
    concurrency: int | None = None
    rpm: int | None = None
    tpm: int | None = None
    timeout_s: float | None = None
    max_input_tokens: int | None = None
    redact: bool = False
    api: str = "chat"  # openai: chat (Chat Completions) | responses (Responses API)
    stream: bool = False  # assemble the answer from a stream; measures time to first token
    http: HttpTarget | None = None  # provider http: where and how to call the application
    # trajectories from the target's traces: python "otel" (default when the target
    # uses OpenTelemetry) | "off"; http "otlp" (opt-in: a local OTLP receiver) | "off"
    traces: str | None = None
    batch: bool = False  # send through the provider's batch API (providers.batching)
    batch_size: int | None = None  # at most this many requests per batch
    # python targets: environment variables handed to the key-less worker (an app that
    # calls its own LLM); their values stay secrets, redacted like any key
    pass_env: tuple[str, ...] = ()

    @property
    def is_local(self) -> bool:
        """Local code (your python function, echo): nothing to cache, retry, rate-limit or
        price, and no provider stack, so llmeval times and bounds the call itself."""
        return self.provider in LOCAL_PROVIDERS

    @property
    def batch_capable(self) -> bool:
        """The provider has a batch API for this model's endpoint."""
        return batch_capable(self.provider, self.api)

    def __hash__(self) -> int:  # params is a dict; identity of a spec is its alias
        return hash(self.alias)


LOCAL_PROVIDERS = frozenset({"echo", "python"})
# (provider, api) pairs with a batch API: OpenAI's Batch API (chat completions only)
# and Anthropic's Message Batches API
BATCH_APIS = frozenset({("openai", "chat"), ("anthropic", "chat")})


def batch_capable(provider: str, api: str = "chat") -> bool:
    return (provider, api) in BATCH_APIS
