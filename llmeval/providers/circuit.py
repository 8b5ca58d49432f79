"""Circuit breaker: stop hammering a provider that is down.

Its own wrapper, placed inside ``Retrying`` and outside ``Limited`` so every attempt
is counted and a rejected call never waits for a concurrency slot:
``Cached(Retrying(Breaker(Limited(base))))``.

Only transient failures (5xx, 529, timeouts, connection errors) count. A 429 means
the server is alive and answering, and fatal errors are the request's own fault;
both leave the breaker as it is. When open, calls raise ``CircuitOpenError`` (fatal)
at once; the engine marks those cases not-run, so ``--resume`` can finish them.
After ``cooldown_s`` one probe goes through (half-open): success closes the
circuit, failure opens it again for another cooldown.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import CircuitOpenError, TransientError
from llmeval.providers.base import Provider

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitBreaker:
    """State machine, no I/O.

    Opens after ``threshold`` consecutive transient failures, or when at least
    ``ratio`` of the last ``window`` outcomes failed (once the window is full).
    The defaults leave a healthy provider with 20% random 5xx closed: ten failures
    in a row or 16 of 20 is an outage, not noise.
    """

    def __init__(
        self,
        threshold: int = 10,
        cooldown_s: float = 30.0,
        *,
        window: int = 20,
        ratio: float | None = 0.8,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.ratio = ratio
        self.clock = clock
        self.state = CLOSED
        self.consecutive = 0
        self.opened_at = 0.0
        self.opens = 0
        self.rejected = 0
        self._recent: deque[bool] = deque(maxlen=window)  # True = failure
        self._probing = False

    def before_call(self) -> None:
        """Raise ``CircuitOpenError`` unless a call may go now."""
        if self.state == CLOSED:
            return
        if self.state == OPEN and self.clock() - self.opened_at >= self.cooldown_s:
            self.state = HALF_OPEN
            self._probing = False
        if self.state == HALF_OPEN and not self._probing:
            self._probing = True  # this caller is the probe
            return
        self.rejected += 1
        raise CircuitOpenError(
            f"provider judged down after {self.consecutive} consecutive failures; case left not-run"
        )

    def record_success(self) -> None:
        self.consecutive = 0
        self._recent.append(False)
        # only the probe's answer closes; a straggler that started before the
        # circuit opened proves little
        if self.state == HALF_OPEN:
            self.state = CLOSED
            self._probing = False
            self._recent.clear()

    def record_failure(self) -> None:
        self.consecutive += 1
        self._recent.append(True)
        if self.state == HALF_OPEN or self._tripped():
            self._open()

    def record_neutral(self) -> None:
        """An outcome that says nothing about health (429, bad request)."""
        if self.state == HALF_OPEN:
            self._probing = False  # let another caller probe

    def _tripped(self) -> bool:
        if self.state != CLOSED:
            return False
        if self.consecutive >= self.threshold:
            return True
        full = len(self._recent) == self._recent.maxlen
        return bool(self.ratio is not None and full and self._failure_ratio() >= self.ratio)

    def _failure_ratio(self) -> float:
        return sum(self._recent) / len(self._recent) if self._recent else 0.0

    def _open(self) -> None:
        self.state = OPEN
        self.opened_at = self.clock()
        self._probing = False
        self.opens += 1


class Breaker:
    """The wrapper: ask the breaker, call, report the outcome."""

    def __init__(self, inner: Provider, breaker: CircuitBreaker) -> None:
        self.inner = inner
        self.breaker = breaker

    async def complete(self, request: CompletionRequest) -> Completion:
        self.breaker.before_call()
        try:
            result = await self.inner.complete(request)
        except TransientError:
            self.breaker.record_failure()
            raise
        except BaseException:
            # includes cancellation of a half-open probe: free the probe slot
            self.breaker.record_neutral()
            raise
        self.breaker.record_success()
        return result
