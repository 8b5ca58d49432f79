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


class Redacting:
    """The boundary where provider data enters llmeval: every answer (text, model id,
    finish reason) and every error message of ``inner`` passes ``secrets`` redaction
    once, here, before the cache, the retries, the judge or the journal see it.
    ``registry.create`` wraps every base provider (built-in or plugin) in one."""

    def __init__(self, inner: Provider) -> None:
        self.inner = inner

    async def complete(self, request: CompletionRequest) -> Completion:
        from llmeval.providers.secrets import redact_completion, redact_error

        try:
            completion = await self.inner.complete(request)
        except Exception as e:  # CancelledError is a BaseException and passes through
            redact_error(e)  # in place: same object, kind and traceback kept
            raise
        return redact_completion(completion)

    async def aclose(self) -> None:
        await aclose(self.inner)

    def __getattr__(self, name: str) -> object:  # spec, key_env... of the wrapped provider
        return getattr(self.inner, name)

    def __repr__(self) -> str:
        return f"Redacting({self.inner!r})"
