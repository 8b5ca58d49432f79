from __future__ import annotations

import pytest
from runtime_fakes import FakeProvider, FakeTime, request, spec

from llmeval.errors import CircuitOpenError, ProviderTimeout, RateLimitError, TransientError
from llmeval.providers.circuit import CLOSED, HALF_OPEN, OPEN, CircuitBreaker
from llmeval.providers.stack import build_stack


def breaker(ft: FakeTime, **kw) -> CircuitBreaker:
    return CircuitBreaker(**{"threshold": 3, "cooldown_s": 10.0, "clock": ft.clock, **kw})


def test_opens_after_consecutive_failures_then_rejects() -> None:
    ft = FakeTime()
    cb = breaker(ft)
    for _ in range(2):
        cb.before_call()
        cb.record_failure()
    assert cb.state == CLOSED
    cb.before_call()
    cb.record_failure()
    assert cb.state == OPEN and cb.opens == 1
    with pytest.raises(CircuitOpenError) as e:
        cb.before_call()
    assert e.value.fatal and cb.rejected == 1


def test_success_resets_the_count() -> None:
    cb = breaker(FakeTime())
    for _ in range(5):
        cb.record_failure()
        cb.record_failure()
        cb.record_success()
    assert cb.state == CLOSED


def test_half_open_probe_success_closes() -> None:
    ft = FakeTime()
    cb = breaker(ft)
    for _ in range(3):
        cb.record_failure()
    ft.advance(9.9)
    with pytest.raises(CircuitOpenError):
        cb.before_call()
    ft.advance(0.2)
    cb.before_call()  # the probe
    assert cb.state == HALF_OPEN
    with pytest.raises(CircuitOpenError):
        cb.before_call()  # only one probe at a time
    cb.record_success()
    assert cb.state == CLOSED
    cb.before_call()


def test_half_open_probe_failure_reopens_for_another_cooldown() -> None:
    ft = FakeTime()
    cb = breaker(ft)
    for _ in range(3):
        cb.record_failure()
    ft.advance(10)
    cb.before_call()
    cb.record_failure()
    assert cb.state == OPEN and cb.opens == 2
    ft.advance(5)
    with pytest.raises(CircuitOpenError):
        cb.before_call()
    ft.advance(5)
    cb.before_call()


def test_neutral_probe_frees_the_probe_slot() -> None:
    ft = FakeTime()
    cb = breaker(ft)
    for _ in range(3):
        cb.record_failure()
    ft.advance(10)
    cb.before_call()
    cb.record_neutral()
    cb.before_call()  # someone else may probe now
    assert cb.state == HALF_OPEN


def test_failure_ratio_over_window_opens() -> None:
    cb = breaker(FakeTime(), threshold=100, window=10, ratio=0.7)
    for _ in range(3):
        cb.record_failure()
        cb.record_failure()
        cb.record_failure()
        cb.record_success()
    assert cb.state == OPEN  # 8 of the last 10 failed, never more than 3 in a row
    assert cb.opens == 1  # the late successes of calls already in flight do not close it


async def test_stack_stops_hammering_a_dead_provider() -> None:
    ft = FakeTime()
    down = [True]

    def script(_r, _n):
        if down[0]:
            raise TransientError("503", status=503)
        return None

    base = FakeProvider(script, latency=0.1, sleep=ft.sleep)
    stack = build_stack(
        base, spec(concurrency=1), cache=None, retries=2, timeout_s=None,
        breaker=CircuitBreaker(threshold=5, cooldown_s=30, clock=ft.clock),
        sleep=ft.sleep, clock=ft.clock,
    )  # fmt: skip
    outcomes = []
    for i in range(10):
        try:
            await stack.complete(request(f"q{i}"))
            outcomes.append("ok")
        except CircuitOpenError:
            outcomes.append("not-run")
        except TransientError:
            outcomes.append("error")
    # case 0: 3 attempts; case 1: 2 more open the circuit, its 3rd attempt and the
    # other cases are rejected (not-run, resumable)
    assert outcomes == ["error"] + ["not-run"] * 9
    assert base.calls == 5 and stack.stats().circuit_rejected == 9
    down[0] = False
    ft.advance(30)
    assert (await stack.complete(request("after"))).text == "answer: after"
    assert stack.breaker.state == CLOSED


async def test_rate_limits_and_timeouts_are_weighed_differently() -> None:
    ft = FakeTime()
    cb = breaker(ft)
    errors = iter([RateLimitError("429")] * 5 + [ProviderTimeout("slow")] * 3)

    def script(_r, _n):
        raise next(errors)

    stack = build_stack(
        FakeProvider(script), spec(), cache=None, retries=0, breaker=cb,
        sleep=ft.sleep, clock=ft.clock,
    )  # fmt: skip
    for _ in range(5):
        with pytest.raises(RateLimitError):
            await stack.complete(request())
    assert cb.state == CLOSED
    for _ in range(3):
        with pytest.raises(ProviderTimeout):
            await stack.complete(request())
    assert cb.state == OPEN
