"""Adaptive concurrency (AIMD) and the "most requests limited" lane pause, on virtual time."""

from __future__ import annotations

import asyncio
import contextlib
import random

import pytest
from runtime_fakes import FakeProvider, FakeTime, request, spec

from llmeval.errors import RateLimitError
from llmeval.providers.limits import AdaptiveConcurrency, Lane, Limited
from llmeval.providers.stack import build_stack


def random_429(rate: float, seed: int = 0, retry_after: float = 1.0):
    rng = random.Random(seed)

    def script(_r, _n):
        if rng.random() < rate:
            raise RateLimitError("429", retry_after=retry_after)
        return None

    return script


async def run_cases(
    n: int, script, *, concurrency: int = 64, adaptive: bool = True, latency: float = 0.05
):
    ft = FakeTime()
    base = FakeProvider(script, latency=latency, sleep=ft.sleep, clock=ft.clock)
    stack = build_stack(
        base, spec(concurrency=concurrency), cache=None, retries=10, timeout_s=None,
        sleep=ft.sleep, clock=ft.clock, rand=random.Random(1).random, adaptive=adaptive,
    )  # fmt: skip
    await asyncio.gather(*(stack.complete(request(f"case-{i}")) for i in range(n)))
    return ft.now, base, stack


@pytest.mark.parametrize("latency", [0.25, 2.0])
async def test_five_percent_429_costs_far_less_than_a_lane_pause(latency: float) -> None:
    # latency well above 50 ms keeps the clean run long against the last retries'
    # 1 s Retry-After tail, as in the 20,000-case benchmark, with 4,000 cases
    clean, _, _ = await run_cases(4000, None, latency=latency)
    limited, base, stack = await run_cases(4000, random_429(0.05), latency=latency)
    # every case succeeded exactly once, whatever the retries
    assert len(base.successes) == 4000 and set(base.successes.values()) == {1}
    stats = stack.stats()
    assert stats.rate_limited > 150 and stats.lane_pauses == 0
    assert stats.concurrency_decreases > 0 and stats.lowest_concurrency < 64
    # issue 15's aim is <= 1.6x the clean run (the last retries' 1 s tail included)
    assert limited / clean <= 1.3, (limited, clean)
    assert stats.limit_wait_s == pytest.approx(stats.rate_limited * 1.0)


async def test_aimd_halves_once_per_burst_and_grows_back() -> None:
    ft = FakeTime()
    burst = {"until": 0.0}

    def script(_r, _n):
        if ft.now < burst["until"]:
            raise RateLimitError("429", retry_after=0.5)
        return None

    base = FakeProvider(script, latency=0.1, sleep=ft.sleep, clock=ft.clock)
    limited = Limited(base, concurrency=32, clock=ft.clock, sleep=ft.sleep)
    slots = limited.slots
    assert slots is not None and slots.current == 32

    async def one(i: int) -> None:
        with contextlib.suppress(RateLimitError):
            await limited.complete(request(f"q{i}"))

    burst["until"] = 0.15  # the first wave of 32 is answered 429 (at t=0.1)
    await asyncio.gather(*(one(i) for i in range(32)))
    assert slots.decreases == 1 and slots.current == 16  # 32 x 429 in one burst: one halving
    # each success gives one slot back
    await asyncio.gather(*(one(1000 + k) for k in range(10)))
    assert slots.current == 26
    await asyncio.gather(*(one(2000 + k) for k in range(10)))
    assert slots.current == 32 and slots.lowest == 16
    assert base.max_in_flight == 32


async def test_effective_concurrency_bounds_in_flight() -> None:
    ft = FakeTime()
    base = FakeProvider(latency=1.0, sleep=ft.sleep, clock=ft.clock)
    limited = Limited(base, concurrency=40, clock=ft.clock, sleep=ft.sleep)
    assert limited.slots is not None
    limited.slots.rate_limited()  # 40 -> 20
    limited.slots.rate_limited()  # the same generation: no second halving
    assert limited.slots.current == 20
    await asyncio.gather(*(limited.complete(request(f"q{i}")) for i in range(20)))
    assert base.max_in_flight == 20  # the first 20 go; each success frees one more
    assert limited.slots.current == 40
    limited.slots.rate_limited()  # 20 answers later: a new generation
    assert limited.slots.current == 20 and limited.slots.decreases == 2


async def test_most_requests_limited_pauses_the_whole_lane() -> None:
    ft = FakeTime()

    def script(_r, _n):
        if ft.now < 3.0:  # the server refuses everything for 3 s
            raise RateLimitError("429", retry_after=2.0)
        return None

    base = FakeProvider(script, latency=0.1, sleep=ft.sleep, clock=ft.clock)
    stack = build_stack(
        base, spec(concurrency=16), cache=None, retries=20, timeout_s=None,
        sleep=ft.sleep, clock=ft.clock, rand=random.Random(0).random,
    )  # fmt: skip
    await asyncio.gather(*(stack.complete(request(f"q{i}")) for i in range(64)))
    stats = stack.stats()
    assert stats.lane_pauses >= 1
    assert len(base.successes) == 64
    # the first wave (t=0) is 16 requests, answered 429 at t=0.1; the tenth 429 pauses
    # the lane for 2 s: fewer than 10 requests slipped out before it, none during it
    times = base.call_times
    assert times[:16] == [0.0] * 16
    assert 0 < sum(t == pytest.approx(0.1) for t in times) < 10
    assert not [t for t in times if 0.11 < t < 2.1]
    assert stack.lane.waited_s > 0


def test_lane_record_needs_most_of_a_window() -> None:
    ft = FakeTime()
    lane = Lane(clock=ft.clock, sleep=ft.sleep, window=20)
    for _ in range(9):
        lane.record(True, 1.0)  # fewer than half a window of answers: no verdict yet
    assert lane.pauses == 0

    lane = Lane(clock=ft.clock, sleep=ft.sleep, window=20)
    for _ in range(10):
        lane.record(False)
    for _ in range(9):
        lane.record(True, 1.0)
    assert lane.pauses == 0 and lane.limited_ratio() == pytest.approx(9 / 19)
    lane.record(True, 1.0)  # 10 of the last 20: half are limited -> pause
    assert lane.pauses == 1 and lane.remaining() == 1.0
    lane.record(False)
    lane.record(True, 600.0)  # a pause never exceeds max_pause_s
    assert lane.remaining() == lane.max_pause_s


async def test_rpm_stays_a_hard_cap_under_aimd() -> None:
    ft = FakeTime()
    base = FakeProvider(random_429(0.1, seed=3, retry_after=0.5), clock=ft.clock)
    stack = build_stack(
        base, spec(concurrency=64, rpm=120), cache=None, retries=10, timeout_s=None,
        sleep=ft.sleep, clock=ft.clock,
    )  # fmt: skip
    await asyncio.gather(*(stack.complete(request(f"q{i}")) for i in range(300)))
    times = sorted(base.call_times)
    for i, t in enumerate(times):  # at most 120 sends in any 60 s (bucket of 120 + refill)
        later = [u for u in times[i:] if u < t + 60.0]
        assert len(later) <= 120 + 120 + 1
    # the bucket refills 2/s: sends past the first 120 are spaced by >= 0.5 s on average
    tail = times[120:]
    assert (tail[-1] - tail[0]) / (len(tail) - 1) >= 0.5 - 1e-9
    assert stack.stats().limit_wait_s > 0


async def test_cancelled_waiter_keeps_no_slot() -> None:
    slots = AdaptiveConcurrency(1)
    await slots.acquire()
    waiter = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    slots.release()
    assert slots.in_flight == 0
    await asyncio.wait_for(slots.acquire(), 1)  # the slot is free again
    assert slots.in_flight == 1


async def test_fixed_concurrency_when_not_adaptive() -> None:
    _, _, stack = await run_cases(500, random_429(0.1), concurrency=16, adaptive=False)
    stats = stack.stats()
    assert stats.effective_concurrency == 16 == stats.lowest_concurrency
    assert stats.rate_limited > 0


def test_counters_expose_concurrency_and_waits() -> None:
    ft = FakeTime()
    stack = build_stack(
        FakeProvider(), spec(concurrency=8), cache=None, sleep=ft.sleep, clock=ft.clock
    )
    c = stack.counters()
    assert c["concurrency_limit"] == 8 and c["effective_concurrency"] == 8
    assert c["limit_wait_s"] == 0.0 and c["in_flight"] == 0


async def test_auth_error_stops_the_requests_queued_behind_it() -> None:
    from llmeval.errors import AuthenticationError, CircuitOpenError
    from llmeval.providers.limits import LaneStopped

    ft = FakeTime()

    def script(_r, _n):
        raise AuthenticationError("openai 401 authentication failed (check OPENAI_API_KEY)")

    base = FakeProvider(script, latency=0.5, sleep=ft.sleep, clock=ft.clock)
    stack = build_stack(
        base, spec(concurrency=2), cache=None, retries=3, timeout_s=None,
        sleep=ft.sleep, clock=ft.clock,
    )  # fmt: skip
    results = await asyncio.gather(
        *(stack.complete(request(f"q{i}")) for i in range(8)), return_exceptions=True
    )
    assert base.calls == 2  # the two in flight; the six queued were never sent
    assert sum(isinstance(r, AuthenticationError) for r in results) == 2
    stopped = [r for r in results if isinstance(r, LaneStopped)]
    assert len(stopped) == 6 and all(isinstance(r, CircuitOpenError) and r.fatal for r in stopped)
    assert "OPENAI_API_KEY" in stopped[0].message
