"""Cross-process claims on a cache key: identical requests in flight in two processes
sharing one cache directory are sent once.

The claim is a diskcache entry ``claim:<key>`` written with ``Cache.add`` (atomic:
only one process can add it) and an ``expire`` lease that the owner renews while its
call runs. Another process that finds the claim waits for the answer to appear under
``<key>``, bounded by ``max_wait_s``; it takes over when the claim goes away without
an answer (the owner's call failed: errors are not cached), when the lease lapses
(the owner hung or its machine went away), or at once when the owner's pid is dead
on this host (``kill -9``).
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
    return f"claim:{key}"


def _me() -> str:
    return json.dumps({"pid": os.getpid(), "host": _HOST, "token": _TOKEN})


def _dead(raw: Any) -> bool:
    """The claim's owner is a process on this host that no longer exists."""
    try:
        owner = json.loads(raw)
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

    def try_claim(self, key: str) -> bool:
        try:
            return bool(self.db.add(claim_key(key), self.mine, expire=self.lease_s, retry=True))
        except (sqlite3.Error, OSError):
            return True  # a broken cache must not stop calls: behave as the only process

    def _hit_or_claim(self, key: str, lookup: Callable[[], T | None]) -> tuple[T | None, bool]:
        """``(answer, False)`` if the answer is there, else ``(None, claimed)``: one
        transaction, so no owner can store and release between our look and our claim
        (the look after a claim that the owner before us may have just answered)."""
        try:
            with self.db.transact(retry=True):
                hit = lookup()
                if hit is not None:
                    return hit, False
                return None, self.try_claim(key)
        except (sqlite3.Error, OSError):
            return None, True

    def release(self, key: str, store: Callable[[], object] | None = None) -> None:
        """Drop our claim; ``store`` (the answer's write) runs in the same transaction,
        before it, so a waiter that sees the claim gone sees the answer too."""
        with contextlib.suppress(sqlite3.Error, OSError), self.db.transact(retry=True):
            if store is not None:
                store()
            if self.db.get(claim_key(key)) == self.mine:
                self.db.delete(claim_key(key))

    def _renew(self, key: str) -> None:
        with contextlib.suppress(sqlite3.Error, OSError):
            self.db.touch(claim_key(key), expire=self.lease_s, retry=True)

    def _reap_if_dead(self, key: str) -> None:
        ck = claim_key(key)
        with contextlib.suppress(sqlite3.Error, OSError), self.db.transact(retry=True):
            raw = self.db.get(ck)
            if raw is not None and _dead(raw):
                self.db.delete(ck)

    async def once(
        self,
        key: str,
        lookup: Callable[[], T | None],
        call: Callable[[], Awaitable[T]],
        store: Callable[[T], object] | None = None,
    ) -> tuple[T, bool]:
        """``(answer, shared)``: the answer another process stored meanwhile
        (``shared=True``), else ours from ``call()`` made under our claim and handed to
        ``store`` in the transaction that releases the claim. The caller has just
        missed ``lookup`` outside any transaction; a hit now is another process's."""
        deadline = self.clock() + self.max_wait_s
        pause = _POLL_FIRST_S
        while True:
            hit, claimed = self._hit_or_claim(key, lookup)
            if hit is not None:
                return hit, True
            if claimed or self.clock() >= deadline:
                break  # ours now, or waited long enough: send it ourselves
            self._reap_if_dead(key)
            await asyncio.sleep(pause)
            pause = min(_POLL_MAX_S, pause * 1.5)
        heartbeat = asyncio.ensure_future(self._heartbeat(key))
        try:
            result = await call()
        except BaseException:
            heartbeat.cancel()
            self.release(key)  # errors are not stored: a waiter takes over
            raise
        heartbeat.cancel()
        self.release(key, None if store is None else lambda: store(result))
        return result, False

    async def _heartbeat(self, key: str) -> None:
        while True:
            await asyncio.sleep(self.lease_s / 3)
            self._renew(key)
