"""What the OpenAI and Anthropic providers share: the key, and one SDK client per event loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.providers.secrets import resolve_key

DEFAULT_TIMEOUT_S = 60.0


def http_client(sdk: Any, event_hooks: dict[str, list[Any]] | None = None) -> Any | None:
    """The HTTP client an SDK client is built with: the SDK's own aiohttp-backed
    ``DefaultAioHttpClient`` when aiohttp is installed, else None (the SDK's default).

    Both official SDKs offer it for concurrency; the SDK still builds every request,
    parses every answer and raises its own errors, but the bytes move through
    aiohttp's C parser instead of httpcore/h11/anyio, which is about half of the
    SDK's CPU per request (the largest share of llmeval's CPU per case at low
    latency). ``LLMEVAL_HTTP=httpx`` keeps the SDK's default transport.
    """
    hooks = {"event_hooks": event_hooks} if event_hooks else {}
    default = getattr(sdk, "DefaultAsyncHttpxClient", None)
    fallback = default(**hooks) if default is not None and hooks else None
    if os.environ.get("LLMEVAL_HTTP", "").strip().lower() == "httpx":
        return fallback
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return fallback
    factory = getattr(sdk, "DefaultAioHttpClient", None)
    return factory(**hooks) if factory is not None else fallback


class SDKProvider:
    """Base for providers built on an official SDK. Subclasses set ``default_key_env`` and
    build their client in ``_make_client``; the key is resolved at construction, so a
    missing one is a config error before any call."""

    default_key_env = ""

    def __init__(self, spec: ModelSpec, root: Path | None = None) -> None:
        self.spec = spec
        self.key_env = spec.api_key_env or self.default_key_env
        self._key = resolve_key(spec.alias, self.key_env, spec.base_url)
        self.timeout_s = spec.timeout_s or DEFAULT_TIMEOUT_S
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watchers: list[Callable[[int, Mapping[str, str]], None]] = []

    def watch_responses(self, watcher: Callable[[int, Mapping[str, str]], None]) -> None:
        """Call ``watcher(status, headers)`` on every HTTP answer as its headers arrive
        (the stack's lane hears a 429 before the SDK has read its body)."""
        self._watchers.append(watcher)
        self._client = None  # the next client is built with the hook

    def _event_hooks(self) -> dict[str, list[Any]] | None:
        if not self._watchers:
            return None
        watchers = tuple(self._watchers)

        async def on_response(response: Any) -> None:
            for watch in watchers:
                watch(response.status_code, response.headers)

        return {"response": [on_response]}

    def __repr__(self) -> str:  # never show the key
        return f"{type(self).__name__}(alias={self.spec.alias!r}, model={self.spec.model!r})"

    def _make_client(self) -> Any:
        raise NotImplementedError

    def warm(self) -> None:
        """Import the SDK and build the client now (on the run's loop), so the first
        request's deadline and latency do not pay for llmeval's own start-up."""
        self._get_client()

    def _get_client(self) -> Any:
        loop = asyncio.get_running_loop()
        # a client's pooled connections belong to the loop that opened them
        if self._client is None or self._loop is not loop:
            self._client = self._make_client()
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(RuntimeError):  # its loop is gone already
                await client.close()
