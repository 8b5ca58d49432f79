from __future__ import annotations

import asyncio
import random
import time

import pytest
from runtime_fakes import FakeProvider, FakeTime, request, spec

from llmeval.errors import (
    AuthenticationError,
    BadRequestError,
    CircuitOpenError,
    InputTooLongError,
    ProviderError,
    ProviderTimeout,
    QuotaExceededError,
    RateLimitError,
    ReplayMissError,
    TransientError,
)
from llmeval.providers.limits import Lane, Limited
from llmeval.providers.retry import LanePausedTooLong, Retrying, backoff_delay, trace
from llmeval.providers.stack import build_stack


def failing(times: int, error: Exception):
    def script(_r, n):
        if n <= times:
            raise error
        return None

    return script


async def test_full_jitter_delays_follow_the_seeded_rand() -> None:
    ft = FakeTime()
    base = FakeProvider(failing(5, TransientError("503", status=503)))
    retry = Retrying(
        base, retries=6, base_delay=0.5, max_delay=4.0, sleep=ft.sleep, rand=random.Random(7).random
    )
    with trace() as t:
        result = await retry.complete(request())
    assert result.text == "answer: hi"
    ref = random.Random(7)
    expected = [ref.random() * min(4.0, 0.5 * 2**i) for i in range(5)]
    assert ft.sleeps == pytest.approx(expected)
    assert (base.calls, t.attempts, t.retries, retry.attempts) == (6, 6, 5, 6)


@pytest.mark.parametrize(
    ("attempt", "rand", "expected"),
    [(0, 1.0, 0.5), (1, 0.5, 0.5), (3, 1.0, 4.0), (10, 1.0, 30.0), (10, 0.0, 0.0)],
)
def test_backoff_delay(attempt: int, rand: float, expected: float) -> None:
    assert backoff_delay(attempt, rand, 0.5, 30.0) == expected


async def test_gives_up_after_retries_with_the_last_error() -> None:
    ft = FakeTime()
    base = FakeProvider(failing(100, TransientError("still down", status=500)))
    with pytest.raises(TransientError, match="still down"):
        await Retrying(base, retries=3, sleep=ft.sleep).complete(request())
    assert base.calls == 4 and len(ft.sleeps) == 3


@pytest.mark.parametrize(
    "error",
    [
        AuthenticationError("bad key", status=401),
        BadRequestError("bad", status=400),
        QuotaExceededError("quota", status=429),
        InputTooLongError("too long"),
        CircuitOpenError("open"),
        ReplayMissError("miss"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_fatal_errors_fail_fast(error: ProviderError) -> None:
    ft = FakeTime()
    base = FakeProvider(failing(100, error))
    with pytest.raises(type(error)):
        await Retrying(base, retries=5, sleep=ft.sleep).complete(request())
    assert base.calls == 1 and ft.sleeps == []


async def test_bugs_are_not_retried() -> None:
    base = FakeProvider(failing(100, ZeroDivisionError()))
    with pytest.raises(ZeroDivisionError):
        await Retrying(base, retries=5).complete(request())
    assert base.calls == 1


async def test_rate_limit_without_retry_after_backs_off() -> None:
    ft = FakeTime()
    base = FakeProvider(failing(1, RateLimitError("slow down")))
    retry = Retrying(base, retries=2, sleep=ft.sleep, rand=lambda: 1.0)
    await retry.complete(request())
    assert ft.sleeps == [0.5] and retry.rate_limited == 1


async def test_retry_after_is_honoured_without_limited() -> None:
    ft = FakeTime()
    base = FakeProvider(failing(1, RateLimitError("429", retry_after=4.0)), clock=ft.clock)
    retry = Retrying(base, retries=2, sleep=ft.sleep, clock=ft.clock)
    await retry.complete(request())
    assert base.call_times == [0.0, 4.0]


async def test_one_retry_after_delays_only_its_request() -> None:
    # behaviour changed deliberately (issue 15): a lone 429 no longer pauses the lane
    ft = FakeTime()

    def script(r, _n):
        if r.messages[-1].content == "first" and not seen:
            seen.append(ft.now)
            raise RateLimitError("429", retry_after=10.0)
        return None

    seen: list[float] = []
    base = FakeProvider(script, latency=1.0, sleep=ft.sleep, clock=ft.clock)
    stack = build_stack(
        base, spec(), cache=None, retries=3, timeout_s=None, deadline_s=None,
        sleep=ft.sleep, clock=ft.clock,
    )  # fmt: skip

    async def later(text: str, at: float):
        await ft.sleep(at)
        return await stack.complete(request(text)), ft.now

    results = await asyncio.gather(
        stack.complete(request("first")), later("second", 2.0), later("third", 5.0)
    )
    # the 429 arrives at t=1; "first" alone waits until t=11, the others go at once
    assert seen == [1.0]
    assert base.call_times == [0.0, 2.0, 5.0, 11.0]
    assert results[1][1] == 3.0 and results[2][1] == 6.0
    stats = stack.stats()
    assert stats.lane_pauses == 0 and stats.rate_limited == 1
    assert stats.limit_wait_s == 10.0


async def test_retry_after_past_the_cap_leaves_cases_not_run() -> None:
    ft = FakeTime()

    def script(r, _n):
        if r.messages[-1].content == "first":
            raise RateLimitError("429", retry_after=3600.0)
        return None

    base = FakeProvider(script, latency=1.0, sleep=ft.sleep)
    stack = build_stack(
        base, spec(), cache=None, retries=3, timeout_s=None, max_pause_s=120,
        sleep=ft.sleep, clock=ft.clock,
    )  # fmt: skip

    async def later(text: str):
        await ft.sleep(2.0)
        return await stack.complete(request(text))

    first, second = await asyncio.gather(
        stack.complete(request("first")), later("second"), return_exceptions=True
    )
    for err in (first, second):
        assert isinstance(err, LanePausedTooLong)
        assert isinstance(err, CircuitOpenError) and err.fatal and err.kind == "lane_paused"
    assert base.calls == 1  # the second request was never sent
    assert ft.now < 10


async def test_lane_wait_raises_past_cap_and_sleeps_within() -> None:
    ft = FakeTime()
    lane = Lane(clock=ft.clock, sleep=ft.sleep, max_pause_s=5)
    lane.pause_for(3)
    await lane.wait()
    assert ft.now == 3.0
    lane.pause_for(6)
    with pytest.raises(LanePausedTooLong):
        await lane.wait()


async def test_per_attempt_timeout_real_time() -> None:
    base = FakeProvider(latency=5.0)  # real asyncio.sleep: hangs
    stack = build_stack(base, spec(), cache=None, retries=1, timeout_s=0.05, base_delay=0.001)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout, match=r"0\.05"):
        await stack.complete(request())
    assert base.calls == 2
    assert time.monotonic() - started < 1.0


async def test_case_deadline_caps_a_hanging_attempt_real_time() -> None:
    base = FakeProvider(latency=5.0)
    stack = build_stack(base, spec(), cache=None, retries=5, timeout_s=30, deadline_s=0.1)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout):
        await stack.complete(request())
    assert time.monotonic() - started < 1.0


async def test_deadline_stops_backoff_that_would_pass_it() -> None:
    ft = FakeTime()
    base = FakeProvider(
        failing(100, TransientError("500", status=500)), latency=1.0, sleep=ft.sleep
    )
    stack = build_stack(
        base, spec(), cache=None, retries=50, timeout_s=None, deadline_s=10.0,
        base_delay=1.0, max_delay=1.0, rand=lambda: 1.0, sleep=ft.sleep, clock=ft.clock,
    )  # fmt: skip
    with pytest.raises(ProviderTimeout, match="deadline") as e:
        await stack.complete(request())
    assert isinstance(e.value.__cause__, TransientError)
    # attempts at t=0,2,4,6,8 each take 1s; after the 5th (t=9) a 1s backoff would pass 10
    assert base.calls == 5 and ft.now == 9.0


async def test_deadline_does_not_count_queue_time() -> None:
    ft = FakeTime()
    base = FakeProvider(latency=3.0, sleep=ft.sleep)
    stack = build_stack(
        base, spec(concurrency=1), cache=None, retries=0, timeout_s=None, deadline_s=4.0,
        sleep=ft.sleep, clock=ft.clock,
    )  # fmt: skip
    results = await asyncio.gather(*(stack.complete(request(f"q{i}")) for i in range(3)))
    assert len(results) == 3 and ft.now == 9.0


async def test_trace_counts_attempts_per_call() -> None:
    ft = FakeTime()
    base = FakeProvider(failing(2, TransientError("x", status=502)))
    stack = build_stack(base, spec(), cache=None, retries=4, sleep=ft.sleep, clock=ft.clock)
    _, t = await stack.complete_traced(request())
    assert (t.attempts, t.retries, t.last_error) == (3, 2, "transient")
    stack2 = build_stack(
        FakeProvider(failing(9, TransientError("x"))), spec(), cache=None, retries=1,
        sleep=ft.sleep, clock=ft.clock,
    )  # fmt: skip
    with pytest.raises(TransientError) as e:
        await stack2.complete_traced(request())
    assert e.value.trace.attempts == 2


async def test_limited_alone_uses_shared_lane() -> None:
    ft = FakeTime()
    lane = Lane(clock=ft.clock, sleep=ft.sleep)
    base = FakeProvider(clock=ft.clock)
    limited = Limited(base, lane=lane, clock=ft.clock, sleep=ft.sleep)
    lane.pause_for(7)
    await limited.complete(request())
    assert base.call_times == [7.0]
