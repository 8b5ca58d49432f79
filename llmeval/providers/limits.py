"""Per-model limits: the lane (shared pause), adaptive concurrency, RPM/TPM buckets
and the per-attempt timeout.

``Limited`` is the innermost wrapper, the gate right before the wire: a request
first takes a concurrency slot, then request/token budget, then waits out any lane
pause, and only then is sent under the per-attempt timeout. Queue time therefore
never counts against the attempt timeout or the per-case deadline, which starts at
the first real send (see ``CallBudget``).

Rate limits adapt instead of stalling (AIMD, like TCP, promptfoo and Inspect): a 429
delays only the request that got it (``Retrying`` sleeps its Retry-After, holding no
slot), halves the lane's effective concurrency (at most once per ``cooldown_s``, so a
burst of 429s counts once) and every success gives a little back. The whole lane is
paused only when most recent answers were 429s (``Lane.record``). ``rpm``/``tpm`` are
hard caps whatever the concurrency.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import (
    AuthenticationError,
    CircuitOpenError,
    ProviderTimeout,
    QuotaExceededError,
    RateLimitError,
)
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


class LaneStopped(CircuitOpenError):
    """An earlier answer said every call of this model will fail (bad key, no quota):
    requests still queued in the stack are not sent, and stay not-run."""

    kind = "lane_stopped"


class Lane:
    """Shared state of one model's lane: a time before which nothing is sent.

    ``Limited`` records every answer's rate-limit outcome; when at least
    ``pause_ratio`` of the last ``window`` answers were 429s (most requests are
    limited, so sending more only earns more 429s) a 429's Retry-After pauses the
    whole lane. ``Limited`` waits on the pause before every send.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_pause_s: float = 120.0,
        window: int = 20,
        pause_ratio: float = 0.5,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.max_pause_s = max_pause_s
        self.pause_ratio = pause_ratio
        self.paused_until = 0.0
        self.pauses = 0
        self.waited_s = 0.0  # summed over requests: time spent held by a pause
        self.stopped: str | None = None  # why nothing more is sent (auth, quota)
        self._recent: deque[bool] = deque(maxlen=window)  # True = answered 429

    def record(self, limited: bool, retry_after: float | None = None) -> None:
        """One answer's outcome; pause the lane when most recent answers were 429s."""
        self._recent.append(limited)
        if not limited or retry_after is None:
            return
        enough = len(self._recent) * 2 >= (self._recent.maxlen or 1)
        if enough and sum(self._recent) >= self.pause_ratio * len(self._recent):
            self.pause_for(min(retry_after, self.max_pause_s))

    def limited_ratio(self) -> float:
        return sum(self._recent) / len(self._recent) if self._recent else 0.0

    def pause_for(self, seconds: float) -> None:
        now = self.clock()
        until = now + max(0.0, seconds)
        if until > self.paused_until:
            if self.paused_until <= now:  # extending a pause in force is not a new one
                self.pauses += 1
            self.paused_until = until

    def hear(self, status: int, headers: Mapping[str, str]) -> None:
        """An answer's status and headers, the moment they arrive (an HTTP response
        hook, before the SDK reads the body and raises).

        A 429 whose Retry-After is past ``max_pause_s`` stops the lane here and now:
        between these headers and the error reaching ``Retrying`` the SDK awaits the
        body, and meanwhile a worker that finished another request would take the
        freed slot and send one more. Every dispatch decided after this sees it in
        ``wait``.
        """
        if status != 429:
            return
        from llmeval.providers.errors import retry_after_seconds

        seconds = retry_after_seconds(headers)
        if seconds is not None and seconds > self.max_pause_s:
            self.pause_for(seconds)

    def remaining(self) -> float:
        return max(0.0, self.paused_until - self.clock())

    def stop(self, why: str) -> None:
        self.stopped = self.stopped or why

    async def wait(self) -> None:
        """Sleep until the lane opens; raise ``LanePausedTooLong`` past the cap and
        ``LaneStopped`` once the lane was stopped."""
        while True:
            if self.stopped is not None:
                raise LaneStopped(f"not sent: {self.stopped}")
            left = self.remaining()
            if left <= 0:
                return
            if left > self.max_pause_s:
                raise LanePausedTooLong(
                    f"rate limited: server asked to wait {left:.0f}s "
                    f"(more than max pause {self.max_pause_s:.0f}s)",
                    status=429,
                )
            t0 = self.clock()
            await self.sleep(left)
            self.waited_s += self.clock() - t0


class AdaptiveConcurrency:
    """AIMD bound on in-flight requests: at most ``current`` of ``maximum`` slots.

    ``rate_limited()`` multiplies the limit by ``decrease``, at most once per
    generation: after a cut, the next one waits until as many answers came back as
    were in flight at the cut (and at least the new limit), because requests sent at
    the old limit say nothing new with their 429s (TCP's one cut per window). ``succeeded()`` adds
    ``1 / increase_every``. Counting answers, not seconds, keeps the balance between
    cuts and growth the same at 50 ms and at 5 s latency. Waiters are served in
    arrival order.
    """

    def __init__(
        self,
        maximum: int,
        *,
        minimum: int = 1,
        decrease: float = 0.5,
        increase_every: int = 1,
    ) -> None:
        if maximum < 1:
            raise ValueError("maximum concurrency must be at least 1")
        self.maximum = maximum
        self.minimum = max(1, min(minimum, maximum))
        self.decrease = decrease
        self.step = 1.0 / max(1, increase_every)
        self.limit = float(maximum)
        self.in_flight = 0
        self.decreases = 0
        self.lowest = maximum
        self._answers_since_cut = 0
        self._cut_wait = 0  # answers to see before the next cut; the first cuts at once
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def current(self) -> int:
        return max(self.minimum, int(self.limit))

    async def acquire(self) -> None:
        if self.in_flight < self.current and not self._waiters:
            self.in_flight += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if not fut.cancelled():  # the slot was handed over just as we were cancelled
                self.release()
            raise

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self.in_flight < self.current:
            fut = self._waiters.popleft()
            if not fut.done():  # skip waiters cancelled while queued
                self.in_flight += 1
                fut.set_result(None)

    def succeeded(self) -> None:
        self._answers_since_cut += 1
        if self.limit < self.maximum:
            self.limit = min(float(self.maximum), self.limit + self.step)
            self._wake()

    def rate_limited(self) -> None:
        self._answers_since_cut += 1
        if self._answers_since_cut < self._cut_wait:
            return
        self._answers_since_cut = 0
        self.limit = max(float(self.minimum), self.limit * self.decrease)
        self._cut_wait = max(self.current, self.in_flight)
        self.decreases += 1
        self.lowest = min(self.lowest, self.current)


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
        self.waited_s = 0.0

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
                t0 = self.clock()
                await self.sleep((need - self.level) / self.rate)
                self.waited_s += self.clock() - t0

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
    """Adaptive concurrency slot, RPM/TPM buckets, lane pause, per-attempt timeout.

    Every answer is reported to the lane (429 or not) and to the AIMD limit.
    ``adaptive=False`` keeps a fixed ``concurrency``.
    """

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
        adaptive: bool = True,
    ) -> None:
        self.inner = inner
        self.clock = clock
        self.lane = lane or Lane(clock=clock, sleep=sleep)
        self.timeout_s = timeout_s
        self.estimate = estimate or rough_estimate
        self.slots = (
            AdaptiveConcurrency(concurrency, minimum=1 if adaptive else concurrency)
            if concurrency
            else None
        )
        self._rpm = TokenBucket(rpm, clock=clock, sleep=sleep) if rpm else None
        self._tpm = TokenBucket(tpm, clock=clock, sleep=sleep) if tpm else None
        self.sent = 0  # requests that reached the inner provider
        self.in_flight = 0
        self.max_in_flight = 0

    async def complete(self, request: CompletionRequest) -> Completion:
        if self.slots is None:
            return await self._send(request)
        await self.slots.acquire()
        try:
            return await self._send(request)
        finally:
            self.slots.release()

    def waited_s(self) -> float:
        """Time requests spent held by the lane pause and the RPM/TPM buckets."""
        buckets = sum(b.waited_s for b in (self._rpm, self._tpm) if b is not None)
        return self.lane.waited_s + buckets

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
        except (AuthenticationError, QuotaExceededError) as err:
            self.lane.stop(err.message)  # the queued requests of this model would fail alike
            raise
        except RateLimitError as err:
            self.lane.record(True, err.retry_after)
            if self.slots is not None:
                self.slots.rate_limited()
            raise
        else:
            self.lane.record(False)
            if self.slots is not None:
                self.slots.succeeded()
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
