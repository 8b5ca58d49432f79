"""The provider interface: one async method.

Retries, caching, rate limits and circuit breaking are wrappers with the same
interface, composed around a base provider:
``Cached(Retrying(Limited(OpenAIProvider(spec))))``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from llmeval.domain.request import Completion, CompletionRequest


@runtime_checkable
class Provider(Protocol):
    async def complete(self, request: CompletionRequest) -> Completion:
        """Return the completion or raise a ``llmeval.errors.ProviderError`` subclass."""
        ...


async def aclose(provider: object) -> None:
    """Close a provider's HTTP client if it has one."""
    close = getattr(provider, "aclose", None)
    if close is not None:
        await close()
