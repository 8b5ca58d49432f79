"""The one retry layer: exponential backoff with full jitter.

- fatal errors (``err.fatal``: auth, bad request, quota, circuit open, lane paused
  too long, replay miss) are raised at once;
- a ``RateLimitError`` with ``retry_after`` delays the request that got it by that
  long, holding no concurrency slot (``Limited`` shrinks the lane's concurrency and
  pauses the whole lane only when most answers are 429s); a Retry-After past the
  lane's ``max_pause_s`` raises ``LanePausedTooLong`` (a fatal ``CircuitOpenError``),
  so the engine leaves the case not-run;
- other retryable errors sleep ``rand() * min(max_delay, base_delay * 2**n)``;
- the per-case deadline (``deadline_s``) covers every attempt and backoff: a backoff
  that would pass it is not slept, the case fails with ``ProviderTimeout`` at once.

Attempts are counted on the instance and, per call, on a ``CallTrace`` the caller
may open with ``trace()``.
"""

from __future__ import annotations

import asyncio
import contextvars
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import ProviderError, ProviderTimeout, RateLimitError
from llmeval.providers.base import Provider
from llmeval.providers.limits import (
    CURRENT_BUDGET,
    CallBudget,
    Clock,
    Lane,
    LanePausedTooLong,
    Sleep,
)

__all__ = ["CallTrace", "LanePausedTooLong", "Retrying", "backoff_delay", "trace"]


@dataclass
class CallTrace:
    """What one logical call cost: attempts sent and retries slept."""

    attempts: int = 0
    retries: int = 0
    last_error: str | None = None


_TRACE: contextvars.ContextVar[CallTrace | None] = contextvars.ContextVar(
    "llmeval_call_trace", default=None
)


@contextmanager
def trace() -> Iterator[CallTrace]:
    """Collect attempt counts of the calls made inside the block (same task)."""
    t = CallTrace()
    token = _TRACE.set(t)
    try:
        yield t
    finally:
        _TRACE.reset(token)


def backoff_delay(attempt: int, rand: float, base: float, cap: float) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)). ``attempt`` from 0."""
    return rand * min(cap, base * (2**attempt))


class Retrying:
    def __init__(
        self,
        inner: Provider,
        retries: int,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        deadline_s: float | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
        rand: Callable[[], float] = random.random,
        clock: Clock = time.monotonic,
        lane: Lane | None = None,
    ) -> None:
        self.inner = inner
        self.retries = max(0, retries)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.deadline_s = deadline_s
        self.sleep = sleep
        self.rand = rand
        self.clock = clock
        self.lane = lane or Lane(clock=clock, sleep=sleep)
        self.attempts = 0  # over every call of this instance
        self.retried = 0
        self.rate_limited = 0
        self.waited_s = 0.0  # Retry-After delays slept, summed over requests

    async def complete(self, request: CompletionRequest) -> Completion:
        budget = CallBudget(self.deadline_s)
        token = CURRENT_BUDGET.set(budget)
        try:
            return await self._run(request, budget)
        finally:
            CURRENT_BUDGET.reset(token)

    async def _run(self, request: CompletionRequest, budget: CallBudget) -> Completion:
        call = _TRACE.get()
        attempt = 0
        while True:
            self.attempts += 1
            if call is not None:
                call.attempts += 1
            try:
                return await self.inner.complete(request)
            except ProviderError as err:
                if call is not None:
                    call.last_error = err.kind
                if err.fatal or attempt >= self.retries:
                    raise
                delay = self._delay_after(err, attempt)
                rate_limited = isinstance(err, RateLimitError)
                left = budget.remaining(self.clock)
                if left is not None and max(delay, self.lane.remaining()) >= left:
                    raise ProviderTimeout(
                        f"case deadline of {self.deadline_s:g}s passed after "
                        f"{attempt + 1} attempt(s); last error: {err.message}"
                    ) from err
            attempt += 1
            self.retried += 1
            if call is not None:
                call.retries += 1
            if delay > 0:
                t0 = self.clock()
                await self.sleep(delay)
                if rate_limited:
                    self.waited_s += self.clock() - t0
            await self.lane.wait()  # also covers a Retrying used without Limited

    def _delay_after(self, err: ProviderError, attempt: int) -> float:
        """Seconds to sleep before the next attempt: Retry-After, else the backoff."""
        if isinstance(err, RateLimitError):
            self.rate_limited += 1
            if err.retry_after is not None:
                if err.retry_after > self.lane.max_pause_s:
                    # "come back much later" holds for the whole lane: the others
                    # fail on the lane wait without sending
                    self.lane.pause_for(err.retry_after)
                    raise LanePausedTooLong(
                        f"rate limited: server asked to wait {err.retry_after:g}s "
                        f"(more than max pause {self.lane.max_pause_s:g}s)",
                        status=err.status,
                    ) from err
                return err.retry_after
        return backoff_delay(attempt, self.rand(), self.base_delay, self.max_delay)
