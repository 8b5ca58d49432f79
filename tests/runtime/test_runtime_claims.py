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
from llmeval.providers.claims import Claims, claim_key

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
    assert a.db.get(claim_key(cache_key(request("q"), HOST))) is None  # released


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
