"""Cross-process claims on a cache key: identical requests in flight in two processes
sharing one cache directory are sent once.

The claim is a placeholder in the answer's own entry: ``<key>`` holds the owner (pid,
host, token) with an ``expire`` lease until the answer replaces it. ``Cache.add`` makes
it atomic (only one process can add it, and not over a live answer), so claiming costs
one transaction, and storing the answer (an in-place update of that row) releases it
in the same transaction that writes it. Another process that finds the claim waits for
the answer, bounded by ``max_wait_s``; it takes over when the claim goes away without
an answer (the owner's call failed: errors are not cached), when the lease lapses (the
owner hung or its machine went away; the owner renews it while its call runs), or at
once when the owner's pid is dead on this host (``kill -9``). A placeholder is never
an answer: the cache's decoder reads it as a miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

LEASE_S = 30.0  # renewed every LEASE_S / 3 while the owner's call runs
MAX_WAIT_S = 300.0
_POLL_FIRST_S, _POLL_MAX_S = 0.02, 0.25
_TOKEN = secrets.token_hex(8)  # this process, even if its pid is reused later
_HOST = socket.gethostname()


def claim_key(key: str) -> str:
    """Where the claim on ``key`` lives: the answer's own entry."""
    return key


def _me() -> str:
    return json.dumps({"pid": os.getpid(), "host": _HOST, "token": _TOKEN})


def owner_of(raw: Any) -> dict[str, Any] | None:
    """The claim's owner if ``raw`` is a claim (not an answer, which has ``v``)."""
    if not isinstance(raw, str) or not raw.startswith('{"pid"'):
        return None
    try:
        owner = json.loads(raw)
    except ValueError:
        return None
    return owner if isinstance(owner, dict) and "v" not in owner else None


def _dead(owner: dict[str, Any]) -> bool:
    """The claim's owner is a process on this host that no longer exists."""
    try:
        if owner.get("host") != _HOST:
            return False
        os.kill(int(owner["pid"]), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError, TypeError, KeyError, AttributeError, OSError):
        return False
    return False


class Claims:
    """Claims in the diskcache ``db`` (a ``diskcache.Cache``)."""

    def __init__(
        self,
        db: Any,
        *,
        lease_s: float = LEASE_S,
        max_wait_s: float = MAX_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.db = db
        self.lease_s = lease_s
        self.max_wait_s = max_wait_s
        self.clock = clock
        self.mine = _me()

    def _claim(self, key: str, lookup: Callable[[], T | None]) -> tuple[bool, T | None]:
        """``(True, None)`` claimed; ``(False, answer)`` it is there; ``(False, None)``
        another process holds a claim. An entry that is neither (an answer past this
        project's ttl, another schema's) is no one's: it is claimed over."""
        try:
            if self.db.add(key, self.mine, expire=self.lease_s, retry=True):
                return True, None
            raw = self.db.get(key)
            if owner_of(raw) is not None:
                return False, None
            hit = lookup()
            if hit is not None:
                return False, hit
            with self.db.transact(retry=True):
                if self.db.get(key) == raw:  # nobody answered or claimed meanwhile
                    self.db.set(key, self.mine, expire=self.lease_s, retry=True)
                    return True, None
            return False, None
        except (sqlite3.Error, OSError):
            return True, None  # a broken cache must not stop calls: behave as the only process

    def release(self, key: str) -> None:
        """Drop our claim without an answer (the call failed): a waiter takes over."""
        with contextlib.suppress(sqlite3.Error, OSError), self.db.transact(retry=True):
            if self.db.get(key) == self.mine:
                self.db.delete(key)

    def _renew(self, key: str) -> None:
        with contextlib.suppress(sqlite3.Error, OSError), self.db.transact(retry=True):
            if self.db.get(key) == self.mine:  # never an answer's ttl: only our claim's
                self.db.touch(key, expire=self.lease_s, retry=True)

    def _reap_if_dead(self, key: str) -> None:
        with contextlib.suppress(sqlite3.Error, OSError), self.db.transact(retry=True):
            raw = self.db.get(key)
            owner = owner_of(raw)
            if owner is not None and _dead(owner):
                self.db.delete(key)

    async def once(
        self,
        key: str,
        lookup: Callable[[], T | None],
        call: Callable[[], Awaitable[T]],
        store: Callable[[T], object] | None = None,
    ) -> tuple[T, bool]:
        """``(answer, shared)``: the answer another process stored meanwhile
        (``shared=True``), else ours from ``call()`` made under our claim. ``store``
        writes it over the claim (releasing it); without ``store``, or when ``call``
        fails, the claim is dropped."""
        deadline = self.clock() + self.max_wait_s
        pause = _POLL_FIRST_S
        while True:
            claimed, hit = self._claim(key, lookup)
            if hit is not None:
                return hit, True
            if claimed:
                break
            if self.clock() >= deadline:
                break  # waited long enough: send it ourselves
            self._reap_if_dead(key)
            await asyncio.sleep(pause)
            pause = min(_POLL_MAX_S, pause * 1.5)
        heartbeat = _Heartbeat(self.lease_s / 3, lambda: self._renew(key))
        try:
            result = await call()
        except BaseException:
            heartbeat.cancel()
            self.release(key)  # errors are not stored
            raise
        heartbeat.cancel()
        if store is None or not store(result):
            self.release(key)  # not stored (not cacheable, or the disk refused)
        return result, False


class _Heartbeat:
    """``beat()`` every ``every_s`` until cancelled: a timer on the running loop, not a
    task per call (most calls end long before the first beat)."""

    def __init__(self, every_s: float, beat: Callable[[], None]) -> None:
        self.loop = asyncio.get_running_loop()
        self.every_s = every_s
        self.beat = beat
        self.handle = self.loop.call_later(every_s, self._fire)

    def _fire(self) -> None:
        self.beat()
        self.handle = self.loop.call_later(self.every_s, self._fire)

    def cancel(self) -> None:
        self.handle.cancel()
