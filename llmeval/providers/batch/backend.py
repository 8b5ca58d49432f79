"""The provider side of a batch: one small class per batch API, one protocol.

A backend turns requests into the provider's batch entries, makes the five calls
(upload, create, find, retrieve, cancel) and reads the results into ``Outcome``s.
It holds no state of its own: everything to resume is in the ``BatchState``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import CompletionRequest
from llmeval.errors import ConfigError, ProviderError
from llmeval.providers import errors as perr
from llmeval.providers.batch.results import Outcome
from llmeval.providers.batch.state import BatchState

T = TypeVar("T")


@dataclass(frozen=True)
class Remote:
    """What the provider says about a batch now."""

    status: str  # the provider's word: validating, in_progress, ended, completed, ...
    ended: bool
    counts: dict[str, int] = field(default_factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None


class BatchBackend(Protocol):
    api: str
    spec: ModelSpec
    max_requests: int

    def entry(self, key: str, request: CompletionRequest) -> dict[str, Any]: ...

    async def upload(self, entries: list[dict[str, Any]]) -> str | None: ...

    async def create(self, state: BatchState, entries: list[dict[str, Any]]) -> str: ...

    async def find(self, state: BatchState, exclude: set[str]) -> str | None: ...

    async def retrieve(self, state: BatchState) -> Remote: ...

    async def cancel(self, state: BatchState) -> Remote: ...

    async def outcomes(self, state: BatchState) -> list[Outcome]: ...


async def sdk_call(sdk: Any, provider: str, key_env: str, call: Callable[[], Awaitable[T]]) -> T:
    """Await ``call()``; an SDK failure becomes the llmeval error (no chained SDK text)."""
    failure: ProviderError | None = None
    try:
        return await call()
    except Exception as e:  # CancelledError is a BaseException and passes through
        failure = perr.from_sdk_error(e, sdk, provider, key_env)
    raise failure


def batch_backend(spec: ModelSpec, root: Path | None = None) -> BatchBackend:
    """The batch backend of ``spec``'s provider; ConfigError when it has none."""
    if spec.provider == "openai":
        from llmeval.providers.batch.openai_batch import OpenAIBatch
        from llmeval.providers.openai import OpenAIProvider

        return OpenAIBatch(OpenAIProvider(spec, root=root))
    if spec.provider == "anthropic":
        from llmeval.providers.anthropic import AnthropicProvider
        from llmeval.providers.batch.anthropic_batch import AnthropicBatch

        return AnthropicBatch(AnthropicProvider(spec, root=root))
    raise ConfigError(
        f"model '{spec.alias}': provider '{spec.provider}' has no batch API "
        "(batch works with openai and anthropic models)"
    )
