"""Cross-process claims: two caches on one directory (as two processes would have)
send an identical in-flight request once; a failed or dead owner is taken over."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_fakes import FakeProvider, request

from llmeval.errors import TransientError
from llmeval.providers.cache import Cached, ResponseCache, cache_key
from llmeval.providers.claims import Claims, claim_key, owner_of

HOST = "api.openai.com"


@pytest.fixture
def two(tmp_path: Path):
    a, b = ResponseCache(tmp_path / "c"), ResponseCache(tmp_path / "c")
    yield a, b
    a.close()
    b.close()


async def test_the_second_waits_for_the_first_answer(two) -> None:
    a, b = two
    pa, pb = FakeProvider(latency=0.3), FakeProvider(latency=0.3)
    ca, cb = Cached(pa, a, "use", HOST), Cached(pb, b, "use", HOST)
    first = asyncio.ensure_future(ca.complete(request("q")))
    await asyncio.sleep(0.05)  # a's claim is in place
    second = await cb.complete(request("q"))
    assert (await first).text == second.text == "answer: q"
    assert (pa.calls, pb.calls) == (1, 0)
    assert second.cached and (cb.counts.deduped, cb.counts.shared) == (1, 1)
    assert owner_of(a.db.get(claim_key(cache_key(request("q"), HOST)))) is None  # released


async def test_a_failed_owner_hands_over(two) -> None:
    a, b = two

    def boom(_r, _n):
        raise TransientError("500", status=500)

    ca = Cached(FakeProvider(boom, latency=0.2), a, "use", HOST)
    pb = FakeProvider()
    cb = Cached(pb, b, "use", HOST)
    first = asyncio.ensure_future(ca.complete(request("q")))
    await asyncio.sleep(0.05)
    second = await cb.complete(request("q"))
    with pytest.raises(TransientError):
        await first
    assert pb.calls == 1 and not second.cached  # errors are not shared: b sent its own


async def test_a_dead_owner_is_taken_over_at_once(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    key = cache_key(request("q"), HOST)
    owner = json.dumps({"pid": dead.pid, "host": socket.gethostname(), "token": "x"})
    cache.db.add(claim_key(key), owner, expire=60)  # a claim left by a kill -9
    provider = FakeProvider()
    loop = asyncio.get_running_loop()
    start = loop.time()
    out = await Cached(provider, cache, "use", HOST).complete(request("q"))
    assert provider.calls == 1 and out.text == "answer: q"
    assert loop.time() - start < 1.0  # not the 60 s lease
    cache.close()


async def test_a_lapsed_lease_is_taken_over(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    key = cache_key(request("q"), HOST)
    other_host = json.dumps({"pid": 1, "host": "elsewhere", "token": "x"})
    cache.db.add(claim_key(key), other_host, expire=0.3)  # an owner that stopped renewing
    provider = FakeProvider()
    await Cached(provider, cache, "use", HOST).complete(request("q"))
    assert provider.calls == 1
    cache.close()


async def test_the_wait_is_bounded(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    claims = Claims(cache.db, max_wait_s=0.2)
    other = json.dumps({"pid": 1, "host": "elsewhere", "token": "x"})
    cache.db.add(claim_key("k"), other, expire=60)  # alive, renewing, never answering

    async def call() -> str:
        return "mine"

    assert await claims.once("k", lambda: None, call) == ("mine", False)
    cache.close()


async def test_the_owner_renews_its_lease(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    claims = Claims(cache.db, lease_s=0.3)

    async def slow() -> str:
        await asyncio.sleep(0.8)  # well past one lease
        assert cache.db.get(claim_key("k")) == claims.mine  # still ours
        return "done"

    assert await claims.once("k", lambda: None, slow) == ("done", False)
    assert cache.db.get(claim_key("k")) is None
    cache.close()


def _transactions(cache: ResponseCache) -> list[str]:
    """Write transactions on ``cache``'s connection from now on."""
    begun: list[str] = []
    cache.db._con.set_trace_callback(lambda s: begun.append(s) if s == "BEGIN IMMEDIATE" else None)
    return begun


async def test_a_miss_costs_two_transactions_and_a_hit_none(tmp_path: Path) -> None:
    # the miss: the claim (an atomic add), then the answer written over it (its release)
    cache = ResponseCache(tmp_path / "c")
    cache.db.get("warm")  # the directory is opened (and its settings written) before counting
    begun = _transactions(cache)
    provider = FakeProvider()
    cached = Cached(provider, cache, "use", HOST)
    first = await cached.complete(request("q"))
    assert len(begun) == 2 and provider.calls == 1 and not first.cached
    assert cache.peek(cache_key(request("q"), HOST)) is not None  # stored
    assert owner_of(cache.db.get(claim_key(cache_key(request("q"), HOST)))) is None  # released
    begun.clear()
    again = await cached.complete(request("q"))
    assert again.cached and begun == [] and provider.calls == 1
    cache.close()


async def test_an_answer_stored_between_the_miss_and_the_claim_is_used(two) -> None:
    # b missed, then a stored the answer (releasing its claim) before b claimed:
    # b's claim cannot be added over a live answer, and b uses it instead of sending
    a, b = two
    key = cache_key(request("q"), HOST)
    pb = FakeProvider()
    cb = Cached(pb, b, "use", HOST)
    claims = b.claims
    a.put(key, (await FakeProvider().complete(request("q"))))
    out, shared = await claims.once(key, lambda: b.peek(key), lambda: pb.complete(request("q")))
    assert shared and out.text == "answer: q" and pb.calls == 0
    assert cb.counts.hits == 0


async def test_a_failed_call_releases_its_claim_and_stores_nothing(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    stored: list[str] = []

    async def boom() -> str:
        raise TransientError("500", status=500)

    with pytest.raises(TransientError):
        await cache.claims.once("k", lambda: None, boom, stored.append)
    assert stored == [] and cache.db.get(claim_key("k")) is None
    cache.close()


async def test_an_entry_no_one_can_use_is_claimed_over(tmp_path: Path) -> None:
    # an answer stored under a longer ttl than this project's, or by another schema:
    # neither an answer nor a claim, so the first process to look takes the key
    cache = ResponseCache(tmp_path / "c")
    key = cache_key(request("q"), HOST)
    cache.db.set(key, json.dumps({"v": 0, "text": "old"}))
    provider = FakeProvider()
    out = await Cached(provider, cache, "use", HOST).complete(request("q"))
    assert provider.calls == 1 and out.text == "answer: q"
    assert cache.peek(key) is not None and owner_of(cache.db.get(key)) is None
    cache.close()


def test_a_claim_is_never_read_as_an_answer(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    cache.db.add("k2", cache.claims.mine, expire=60)
    assert cache.get("k2") is None and cache.peek("k2") is None and not cache.contains("k2")
    assert owner_of(cache.db.get("k2")) is not None
    cache.close()
