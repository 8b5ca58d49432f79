from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

import pytest
from runtime_fakes import FakeProvider, FakeTime, request, spec

from llmeval.errors import RateLimitError, ReplayMissError, TransientError
from llmeval.providers.base import Provider
from llmeval.providers.cache import ResponseCache
from llmeval.providers.circuit import CLOSED
from llmeval.providers.stack import build_stack, describe


def flaky(seed: int, rate: float, ft: FakeTime | None = None):
    rng = random.Random(seed)

    def script(_r, _n):
        roll = rng.random()
        if roll < rate / 2:
            raise RateLimitError("429", retry_after=rng.choice([None, 0.5, 2.0]))
        if roll < rate:
            raise TransientError("500", status=500)
        return None

    return script


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_twenty_percent_faults_every_case_completes_once(tmp_path: Path, seed: int) -> None:
    ft = FakeTime()
    base = FakeProvider(flaky(seed, 0.2), latency=0.05, sleep=ft.sleep)
    cache = ResponseCache(tmp_path)
    stack = build_stack(
        base, spec(concurrency=32), cache=cache, cache_mode="use", retries=8,
        timeout_s=None, sleep=ft.sleep, clock=ft.clock, rand=random.Random(seed).random,
    )  # fmt: skip
    reqs = [request(f"case-{i}") for i in range(500)]
    results = await asyncio.gather(*(stack.complete(r) for r in reqs))
    assert [r.text for r in results] == [f"answer: case-{i}" for i in range(500)]
    assert set(base.successes) == {f"case-{i}" for i in range(500)}
    assert set(base.successes.values()) == {1}  # exactly one success per case
    stats = stack.stats()
    assert stats.requests_sent == base.calls == 500 + stats.retries
    assert stats.retries > 50 and stats.max_in_flight <= 32
    assert stack.breaker.state == CLOSED and stats.circuit_opens == 0
    assert stack.counters()["requests_sent"] == stats.requests_sent

    # a second run on the same cache sends nothing
    again = FakeProvider()
    stack2 = build_stack(again, spec(concurrency=32), cache=cache, retries=8)
    results2 = await asyncio.gather(*(stack2.complete(r) for r in reqs))
    assert again.calls == 0 and all(r.cached for r in results2)
    assert stack2.stats().cache_hits == 500 and stack2.stats().requests_sent == 0
    cache.close()


async def test_cache_hit_takes_no_slot_and_no_retry(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    base = FakeProvider()
    stack = build_stack(base, spec(concurrency=1, rpm=1), cache=cache)
    await stack.complete(request("q"))
    started = time.monotonic()
    # the RPM bucket is empty now: a miss would wait ~60 s, hits go straight through
    for _ in range(20):
        assert (await stack.complete(request("q"))).cached
    assert time.monotonic() - started < 1.0
    assert stack.stats().requests_sent == 1
    cache.close()


async def test_replay_stack_never_calls(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    await build_stack(FakeProvider(), spec(), cache=cache).complete(request("known"))
    base = FakeProvider()
    stack = build_stack(base, spec(), cache=cache, cache_mode="replay", retries=5)
    assert (await stack.complete(request("known"))).cached
    with pytest.raises(ReplayMissError):
        await stack.complete(request("unknown"))
    assert base.calls == 0
    cache.close()


def test_replay_without_cache_is_refused() -> None:
    with pytest.raises(ValueError, match="replay"):
        build_stack(FakeProvider(), spec(), cache=None, cache_mode="replay")


async def test_cache_mode_off_has_no_cache_layer(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    base = FakeProvider()
    stack = build_stack(base, spec(), cache=cache, cache_mode="off")
    await stack.complete(request("q"))
    await stack.complete(request("q"))
    assert base.calls == 2 and cache.stats()["entries"] == 0
    assert describe(stack)["cache_mode"] == "off"
    cache.close()


def test_spec_limits_win_over_run_defaults() -> None:
    stack = build_stack(
        FakeProvider(), spec(timeout_s=5.0, concurrency=3), cache=None, timeout_s=60,
        concurrency=50,
    )  # fmt: skip
    assert stack.limited.timeout_s == 5.0
    assert stack.limited.slots is not None and stack.limited.slots.maximum == 3
    assert isinstance(stack, Provider)


async def test_endpoint_defaults_to_the_spec_host(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    local = spec(base_url="http://localhost:8000/v1")
    await build_stack(FakeProvider(), local, cache=cache).complete(request("q", model=local))
    other = spec(base_url="http://other:8000/v1")
    base = FakeProvider()
    await build_stack(base, other, cache=cache).complete(request("q", model=other))
    assert base.calls == 1  # a different server is a different answer
    cache.close()


async def test_real_time_throughput_matches_concurrency() -> None:
    base = FakeProvider(latency=0.02)  # real sleep
    stack = build_stack(base, spec(concurrency=10), cache=None, retries=2, timeout_s=5)
    started = time.monotonic()
    await asyncio.gather(*(stack.complete(request(f"q{i}")) for i in range(100)))
    elapsed = time.monotonic() - started
    ideal = 100 * 0.02 / 10
    assert ideal <= elapsed < ideal * 3 + 0.2
    assert base.max_in_flight == 10
