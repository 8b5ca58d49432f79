"""Response cache on diskcache: JSON values only, never pickle.

The key is the SHA-256 of the canonical request (``cache_key``); it never sees an
API key, a header or an environment variable. Values are JSON strings, and the
diskcache ``Disk`` used here refuses to store or load anything pickled, so a
poisoned cache directory cannot run code. diskcache (SQLite) is safe for several
processes sharing one directory; identical requests in flight are sent once:
inside one process by sharing the task (``Cached``), across processes by a claim on
the key (``providers.claims``: a placeholder in the key's own entry, which ``_decode``
reads as a miss).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.domain.tools import ToolCall
from llmeval.domain.trajectory import Step
from llmeval.errors import ReplayMissError
from llmeval.providers.base import Provider
from llmeval.providers.secrets import redact

SCHEMA_VERSION = 1
MODES = ("use", "refresh", "off", "replay")

# Where a provider sends requests when no base_url is set.
DEFAULT_HOSTS = {"openai": "api.openai.com", "anthropic": "api.anthropic.com"}
# Providers that never see ``request.vars``; for any other (python, plugins) the
# answer may depend on them, so they are part of the key.
_VARS_BLIND = frozenset({"openai", "anthropic", "echo"})


def endpoint_host(spec: ModelSpec) -> str:
    """``host[:port]`` of the spec's base_url (never its user:password part), or the
    provider's default host, or ``local`` for in-process providers."""
    if spec.base_url:
        return _host_of(spec.base_url)
    return DEFAULT_HOSTS.get(spec.provider, "local")


@functools.lru_cache(maxsize=64)  # one per base_url; parsed once, not per request
def _host_of(url: str) -> str:
    parts = urlsplit(url if "//" in url else "//" + url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _normalise_endpoint(endpoint: str) -> str:
    """Callers may pass a full base URL or a provider name: keep only ``host[:port]``
    of a URL (so a path or credentials never matter), and map provider names to
    their default host, so both spellings give the same key."""
    if "//" in endpoint:
        return _host_of(endpoint)
    return DEFAULT_HOSTS.get(endpoint, endpoint)


def _message_key(m: Any) -> list[Any]:
    # a plain message keeps its old two-item form, so existing cache entries still hit
    key: list[Any] = [m.role, m.content]
    if m.tool_calls or m.tool_call_id is not None:
        key.append({"tool_calls": [c.to_json() for c in m.tool_calls], "id": m.tool_call_id})
    return key


def canonical_request(request: CompletionRequest, endpoint: str) -> dict[str, Any]:
    spec = request.model
    params = {**spec.params, **request.params}  # request params override model defaults
    body: dict[str, Any] = {
        "v": SCHEMA_VERSION,
        "provider": spec.provider,
        "model": spec.model,
        "endpoint": _normalise_endpoint(endpoint),
        "messages": [_message_key(m) for m in request.messages],
        "params": params,
        "repeat": request.repeat,
        "purpose": request.purpose,
    }
    # only when set, so keys of requests without them are unchanged
    if request.tools:
        body["tools"] = [t.to_json() for t in request.tools]
    if request.tool_choice is not None:
        body["tool_choice"] = request.tool_choice.to_json()
    if spec.api != "chat":
        body["api"] = spec.api
    if spec.http is not None:
        body["http"] = spec.http.cache_identity()
    if spec.traces == "otlp":  # an answer cached without its spans is not this answer
        body["traces"] = spec.traces
    # ``stream`` is left out on purpose: a streamed answer is the same answer
    if spec.provider not in _VARS_BLIND and request.vars:
        body["vars"] = request.vars
    return body


def cache_key(request: CompletionRequest, endpoint: str) -> str:
    text = json.dumps(
        canonical_request(request, endpoint),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cacheable(completion: Completion) -> bool:
    """Only successful answers with some text or a tool call are worth keeping."""
    has_content = bool(completion.text.strip()) or bool(completion.tool_calls)
    return has_content and completion.finish_reason != "error"


def _encode(completion: Completion, stored_at: float) -> str:
    # answers were redacted where they entered (providers.base.Redacting); this is
    # the file's own last line of defence, over the whole entry
    text = json.dumps(
        {
            "v": SCHEMA_VERSION,
            "stored_at": stored_at,
            "text": completion.text,
            "model_id": completion.model_id,
            "finish_reason": completion.finish_reason,
            "input_tokens": completion.input_tokens,
            "output_tokens": completion.output_tokens,
            "latency_ms": completion.latency_ms,
            # arguments go through redaction too: a key echoed into a call is never stored
            "tool_calls": [
                json.loads(redact(json.dumps(c.to_json()))) for c in completion.tool_calls
            ],
            "ttft_ms": completion.ttft_ms,
            # the trajectory replays with the answer, so a cached rerun scores the same path
            "trajectory": [s.to_json() for s in completion.trajectory],
        },
        ensure_ascii=False,
    )
    return redact(text)


def _decode(raw: Any) -> tuple[Completion, float] | None:
    try:
        data = json.loads(raw)
        if data.get("v") != SCHEMA_VERSION:
            return None
        return (
            Completion(
                text=str(data["text"]),
                model_id=str(data.get("model_id", "")),
                finish_reason=data.get("finish_reason"),
                input_tokens=int(data.get("input_tokens", 0)),
                output_tokens=int(data.get("output_tokens", 0)),
                latency_ms=float(data.get("latency_ms", 0.0)),
                cached=True,
                tool_calls=tuple(ToolCall.from_json(c) for c in data.get("tool_calls") or ()),
                ttft_ms=None if data.get("ttft_ms") is None else float(data["ttft_ms"]),
                trajectory=tuple(Step.from_json(s) for s in data.get("trajectory") or ()),
            ),
            float(data.get("stored_at", 0.0)),
        )
    except (TypeError, ValueError, KeyError, AttributeError):
        return None  # unreadable entry: a miss, overwritten by the next answer


@functools.cache
def _json_only_disk() -> type:
    import diskcache

    class JsonOnlyDisk(diskcache.Disk):  # type: ignore[misc]
        def store(self, value: Any, read: bool, key: Any = diskcache.core.UNKNOWN) -> Any:
            if read or type(value) is not str:
                raise TypeError("the response cache stores JSON strings only")
            return super().store(value, read, key=key)

        def fetch(self, mode: int, filename: Any, value: Any, read: bool) -> Any:
            if mode == diskcache.core.MODE_PICKLE:
                raise ValueError("refusing to unpickle a cache entry")
            return super().fetch(mode, filename, value, read)

    return JsonOnlyDisk


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    deduped: int = 0  # followers of an identical in-flight request (any process)
    shared: int = 0  # of which answered by another process's call
    writes: int = 0
    write_errors: int = 0


class ResponseCache:
    """One cache directory. ``now`` is wall-clock time, injectable for TTL tests."""

    def __init__(
        self, dir: Path, ttl_s: float | None = None, *, now: Callable[[], float] = time.time
    ) -> None:
        self.dir = Path(dir)
        self.ttl_s = ttl_s
        self.now = now
        self.counts = CacheStats()
        self._db: Any = None
        self._claims: Any = None

    @property
    def db(self) -> Any:
        if self._db is None:
            import diskcache

            self.dir.mkdir(parents=True, exist_ok=True)
            try:
                # no culling inside each write (3 more statements per add or set): ``close``
                # culls once, expired entries and beyond the size limit, as the writes would
                self._db = diskcache.Cache(str(self.dir), disk=_json_only_disk(), cull_limit=0)
            except sqlite3.DatabaseError as e:  # not a database, or a damaged one
                from llmeval.errors import UsageError

                raise UsageError(
                    f"{self.dir}: the response cache is damaged ({e}); move the folder away "
                    "or delete it (the answers it held will be requested again)"
                ) from None
        return self._db

    def get(self, key: str) -> Completion | None:
        raw = self.db.get(key)
        decoded = _decode(raw) if raw is not None else None
        if decoded is not None and self._fresh(decoded[1]):
            self.counts.hits += 1
            return decoded[0]
        self.counts.misses += 1
        return None

    def peek(self, key: str) -> Completion | None:
        """A fresh entry, or None; not counted."""
        raw = self.db.get(key)
        decoded = _decode(raw) if raw is not None else None
        return decoded[0] if decoded is not None and self._fresh(decoded[1]) else None

    def contains(self, key: str) -> bool:
        """A fresh entry exists (for --dry-run estimates; not counted)."""
        return self.peek(key) is not None

    @property
    def claims(self) -> Any:
        """Cross-process claims on keys of this directory (``providers.claims``)."""
        if self._claims is None:
            from llmeval.providers.claims import Claims

            self._claims = Claims(self.db)
        return self._claims

    def put(self, key: str, completion: Completion) -> bool:
        """Store a successful answer; False (and counted) if the disk refused."""
        if not cacheable(completion):
            return False
        import diskcache

        try:
            self.db.set(key, _encode(completion, self.now()), expire=self.ttl_s)
        except (diskcache.Timeout, sqlite3.Error, OSError):
            self.counts.write_errors += 1  # a cache write never fails the case
            return False
        self.counts.writes += 1
        return True

    def _fresh(self, stored_at: float) -> bool:
        return self.ttl_s is None or self.now() - stored_at <= self.ttl_s

    def stats(self) -> dict[str, Any]:
        return {
            "dir": str(self.dir),
            "entries": len(self.db),
            "size_bytes": int(self.db.volume()),
            "hits": self.counts.hits,
            "misses": self.counts.misses,
        }

    def clear(self) -> int:
        """Remove every entry; returns how many there were."""
        return int(self.db.clear())

    def close(self) -> None:
        if self._db is not None:
            import diskcache

            if self.counts.writes:  # what the writes' own culling would have removed
                with contextlib.suppress(diskcache.Timeout, sqlite3.Error, OSError):
                    self._db.cull(retry=False)
            self._db.close()
            self._db = None
            self._claims = None


class Cached:
    """``use`` reads and writes, ``refresh`` only writes, ``off`` does neither,
    ``replay`` only reads and raises ``ReplayMissError`` on a miss (never calls)."""

    def __init__(
        self, inner: Provider, cache: ResponseCache, mode: str = "use", endpoint: str = ""
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"cache mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.inner = inner
        self.cache = cache
        self.mode = mode
        self.endpoint = endpoint
        self.counts = CacheStats()
        self._inflight: dict[str, asyncio.Task[Completion]] = {}
        # run once, before the first request that is really sent (``build_stack``
        # puts the SDK import and client build here: a fully cached run needs neither)
        self.before_first_send: Callable[[], None] | None = None

    async def complete(self, request: CompletionRequest) -> Completion:
        if self.mode == "off":
            return await self.inner.complete(request)
        key = cache_key(request, self.endpoint)
        if self.mode in ("use", "replay"):
            hit = self.cache.get(key)
            if hit is not None:
                self.counts.hits += 1
                return hit
        self.counts.misses += 1
        if self.mode == "replay":
            raise ReplayMissError("no cached response (replay mode)")
        task = self._inflight.get(key)
        if task is not None:
            # A follower was not sent and pays nothing: it reads like a cache hit.
            self.counts.deduped += 1
            return replace(await asyncio.shield(task), cached=True)
        # The call runs in its own task so a cancelled caller does not cancel the
        # followers sharing it.
        task = asyncio.ensure_future(self._fetch(key, request))
        self._inflight[key] = task
        task.add_done_callback(functools.partial(self._forget, key))
        return await asyncio.shield(task)

    def _forget(self, key: str, task: asyncio.Task[Completion]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]

    async def _fetch(self, key: str, request: CompletionRequest) -> Completion:
        if self.mode != "use":  # refresh: the user asked for a new answer, send it
            return await self._send(key, request)
        result, shared = await self.cache.claims.once(
            key,
            lambda: self.cache.peek(key),
            lambda: self._send(key, request, store=False),
            lambda r: self._store(key, r),  # written over the claim: releases it
        )
        if shared:  # another process sent it while we waited: not sent, not paid
            self.counts.deduped += 1
            self.counts.shared += 1
        return result  # type: ignore[no-any-return]

    async def _send(self, key: str, request: CompletionRequest, store: bool = True) -> Completion:
        prepare, self.before_first_send = self.before_first_send, None
        if prepare is not None:  # before the inner layers start their clocks
            prepare()
        result = await self.inner.complete(request)
        if store:
            self._store(key, result)
        return result

    def _store(self, key: str, result: Completion) -> bool:
        if not self.cache.put(key, result):
            return False
        self.counts.writes += 1
        return True
