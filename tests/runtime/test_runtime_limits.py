from __future__ import annotations

import asyncio

import pytest
from runtime_fakes import FakeProvider, FakeTime, request

from llmeval.domain.request import Completion
from llmeval.providers.limits import Limited, TokenBucket, rough_estimate


def usage(total: int):
    return lambda _r, _n: Completion(text="ok", input_tokens=total, output_tokens=0)


async def test_rpm_bucket_spreads_requests() -> None:
    ft = FakeTime()
    base = FakeProvider(clock=ft.clock)
    limited = Limited(base, rpm=60, clock=ft.clock, sleep=ft.sleep)
    await asyncio.gather(*(limited.complete(request(f"q{i}")) for i in range(70)))
    times = base.call_times
    assert times[:60] == [0.0] * 60
    assert times[60:] == pytest.approx([float(i) for i in range(1, 11)])


@pytest.mark.parametrize(("actual", "at_once"), [(200, 5), (100, 9)])
async def test_tpm_bucket_is_corrected_by_real_usage(actual: int, at_once: int) -> None:
    ft = FakeTime()
    base = FakeProvider(usage(actual), clock=ft.clock)
    limited = Limited(base, tpm=1000, estimate=lambda _r: 200, clock=ft.clock, sleep=ft.sleep)
    for i in range(at_once + 1):
        await limited.complete(request(f"q{i}"))
    times = base.call_times
    assert times[:at_once] == [0.0] * at_once
    assert times[at_once] > 0.0  # the next one had to wait for the bucket


async def test_tpm_waits_the_right_time() -> None:
    ft = FakeTime()
    base = FakeProvider(usage(500), clock=ft.clock)
    limited = Limited(base, tpm=600, estimate=lambda _r: 500, clock=ft.clock, sleep=ft.sleep)
    await limited.complete(request("a"))
    await limited.complete(request("b"))
    # 600/min = 10 tokens/s; 100 left, 400 more needed -> 40 s
    assert base.call_times == pytest.approx([0.0, 40.0])


async def test_request_larger_than_bucket_goes_when_full() -> None:
    ft = FakeTime()
    bucket = TokenBucket(100, clock=ft.clock, sleep=ft.sleep)
    await bucket.acquire(250)
    assert ft.now == 0.0 and bucket.level == -150
    await bucket.acquire(250)
    assert ft.now == pytest.approx(150.0)  # back to full (100) at 10/6 per s


@pytest.mark.parametrize("concurrency", [1, 4, 16])
async def test_concurrency_bound_is_respected(concurrency: int) -> None:
    ft = FakeTime()
    base = FakeProvider(latency=1.0, sleep=ft.sleep)
    limited = Limited(base, concurrency=concurrency, clock=ft.clock, sleep=ft.sleep)
    await asyncio.gather(*(limited.complete(request(f"q{i}")) for i in range(48)))
    assert base.max_in_flight == concurrency == limited.max_in_flight
    assert ft.now == pytest.approx(48 / concurrency)
    assert limited.sent == 48 and limited.in_flight == 0


async def test_no_limits_means_everything_at_once() -> None:
    ft = FakeTime()
    base = FakeProvider(latency=1.0, sleep=ft.sleep)
    limited = Limited(base, clock=ft.clock, sleep=ft.sleep)
    await asyncio.gather(*(limited.complete(request(f"q{i}")) for i in range(30)))
    assert base.max_in_flight == 30 and ft.now == 1.0


async def test_failed_call_frees_its_slot() -> None:
    def script(_r, n):
        if n % 2:
            raise RuntimeError("bug")
        return None

    base = FakeProvider(script)
    limited = Limited(base, concurrency=1)
    results = await asyncio.gather(
        *(limited.complete(request(f"q{i}")) for i in range(6)), return_exceptions=True
    )
    assert sum(isinstance(r, RuntimeError) for r in results) == 3
    assert limited.in_flight == 0


def test_rough_estimate_counts_input_and_max_tokens() -> None:
    assert rough_estimate(request("x" * 400, params={"max_tokens": 50})) == 151
    assert rough_estimate(request("")) == 1


def test_bucket_rejects_nonpositive_rate() -> None:
    ft = FakeTime()
    with pytest.raises(ValueError):
        TokenBucket(0, clock=ft.clock, sleep=ft.sleep)
