"""Per-model limits: the lane (shared pause), concurrency, RPM/TPM buckets and the
per-attempt timeout.

``Limited`` is the innermost wrapper, the gate right before the wire: a request
first takes a concurrency slot, then request/token budget, then waits out any lane
pause, and only then is sent under the per-attempt timeout. Queue time therefore
never counts against the attempt timeout or the per-case deadline, which starts at
the first real send (see ``CallBudget``).
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import CircuitOpenError, ProviderTimeout
from llmeval.providers.base import Provider

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]
Estimate = Callable[[CompletionRequest], int]


class LanePausedTooLong(CircuitOpenError):
    """The server asked the model lane to wait longer than ``max_pause_s``.

    A ``CircuitOpenError`` subclass (fatal): the engine leaves this case and the rest of
    the model's cases not-run, so ``--resume`` can finish them later.
    """

    kind = "lane_paused"


class Lane:
    """Shared state of one model's lane: a time before which nothing is sent.

    ``Retrying`` pauses it on a rate-limit answer with Retry-After; ``Limited`` waits
    on it before every send, so all concurrent requests of the model hold off.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_pause_s: float = 120.0,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.max_pause_s = max_pause_s
        self.paused_until = 0.0
        self.pauses = 0

    def pause_for(self, seconds: float) -> None:
        until = self.clock() + max(0.0, seconds)
        if until > self.paused_until:
            self.paused_until = until
            self.pauses += 1

    def remaining(self) -> float:
        return max(0.0, self.paused_until - self.clock())

    async def wait(self) -> None:
        """Sleep until the lane opens; raise ``LanePausedTooLong`` past the cap."""
        while (left := self.remaining()) > 0:
            if left > self.max_pause_s:
                raise LanePausedTooLong(
                    f"rate limited: server asked to wait {left:.0f}s "
                    f"(more than max pause {self.max_pause_s:.0f}s)",
                    status=429,
                )
            await self.sleep(left)


class TokenBucket:
    """``per_minute`` units refilled continuously; FIFO waiters.

    A request larger than the whole bucket is let through once the bucket is full
    (it would otherwise never go), leaving the level negative.
    """

    def __init__(self, per_minute: int, *, clock: Clock, sleep: Sleep) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.level = float(per_minute)
        self.clock = clock
        self.sleep = sleep
        self._stamp = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self.clock()
        self.level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now

    async def acquire(self, amount: float) -> None:
        async with self._lock:  # waiters are served in arrival order
            while True:
                self._refill()
                need = min(amount, self.capacity)
                if self.level >= need:
                    self.level -= amount
                    return
                await self.sleep((need - self.level) / self.rate)

    def adjust(self, delta: float) -> None:
        """Give back (positive) or take (negative) units after the fact."""
        self._refill()
        self.level = min(self.capacity, self.level + delta)


@dataclass
class CallBudget:
    """Per-case deadline over all attempts, set by ``Retrying`` in a context variable.

    The clock starts at the first real send, not when the case entered the queue.
    """

    deadline_s: float | None
    started: float | None = None

    def remaining(self, clock: Clock) -> float | None:
        if self.deadline_s is None or self.started is None:
            return None
        return self.deadline_s - (clock() - self.started)


CURRENT_BUDGET: contextvars.ContextVar[CallBudget | None] = contextvars.ContextVar(
    "llmeval_call_budget", default=None
)


def rough_estimate(request: CompletionRequest) -> int:
    """Tokens a request may use: ~4 characters a token in, plus max_tokens out."""
    chars = sum(len(m.content) for m in request.messages)
    out = request.params.get("max_tokens") or request.model.params.get("max_tokens") or 0
    return chars // 4 + 1 + int(out)


class Limited:
    """Concurrency slot, RPM/TPM buckets, lane pause, per-attempt timeout."""

    def __init__(
        self,
        inner: Provider,
        concurrency: int | None = None,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        lane: Lane | None = None,
        timeout_s: float | None = None,
        estimate: Estimate | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.inner = inner
        self.clock = clock
        self.lane = lane or Lane(clock=clock, sleep=sleep)
        self.timeout_s = timeout_s
        self.estimate = estimate or rough_estimate
        self._slots = asyncio.Semaphore(concurrency) if concurrency else None
        self._rpm = TokenBucket(rpm, clock=clock, sleep=sleep) if rpm else None
        self._tpm = TokenBucket(tpm, clock=clock, sleep=sleep) if tpm else None
        self.sent = 0  # requests that reached the inner provider
        self.in_flight = 0
        self.max_in_flight = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        if self._slots is None:
            return await self._send(request)
        async with self._slots:
            return await self._send(request)

    async def _send(self, request: CompletionRequest) -> Completion:
        estimated = self.estimate(request) if self._tpm else 0
        if self._rpm:
            await self._rpm.acquire(1)
        if self._tpm:
            await self._tpm.acquire(estimated)
        await self.lane.wait()
        limit = self._attempt_limit()
        self.sent += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        used: int | None = None
        try:
            result = await self._call(request, limit)
            used = result.input_tokens + result.output_tokens
            return result
        finally:
            self.in_flight -= 1
            if self._tpm and used:  # correct the estimate with the real usage
                self._tpm.adjust(estimated - used)

    def _attempt_limit(self) -> float | None:
        limit = self.timeout_s
        budget = CURRENT_BUDGET.get()
        if budget is None or budget.deadline_s is None:
            return limit
        if budget.started is None:
            budget.started = self.clock()
        left = budget.remaining(self.clock)
        assert left is not None
        if left <= 0:
            raise ProviderTimeout(f"case deadline of {budget.deadline_s:g}s passed")
        return left if limit is None else min(limit, left)

    async def _call(self, request: CompletionRequest, limit: float | None) -> Completion:
        if limit is None:
            return await self.inner.complete(request)
        try:
            async with asyncio.timeout(limit):
                return await self.inner.complete(request)
        except TimeoutError as e:
            raise ProviderTimeout(f"no answer within {limit:g}s") from e
