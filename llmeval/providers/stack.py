"""One object per model for the engine: the wrappers composed in the designed order.

    ModelStack -> Cached -> Retrying -> Breaker -> Limited -> base provider

- ``Cached`` outermost: a hit costs no slot, no retry, no rate budget; identical
  in-flight requests are sent once.
- ``Retrying`` owns the case deadline, the backoff and the Retry-After delay of the
  request that got a 429; it shares a ``Lane`` with ``Limited``, which pauses every
  request of the model only when most answers are 429s.
- ``Breaker`` counts every attempt and rejects at once when the provider is down.
- ``Limited`` is the gate before the wire: adaptive (AIMD) concurrency slot,
  RPM/TPM, lane pause, per-attempt timeout.

A model sent through its provider's batch API (``batching=``) keeps the same layers,
but ``Limited`` has no slots, RPM/TPM or attempt timeout and ``Retrying`` no case
deadline (see ``providers.batching``).

Errors the engine should read as "not-run, resumable": ``CircuitOpenError`` and its
subclass ``LanePausedTooLong``. ``ReplayMissError`` is a replay-mode miss. Any other
``ProviderError`` after the retries is the case's ``error``.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.providers.base import Provider, aclose
from llmeval.providers.cache import Cached, ResponseCache, endpoint_host
from llmeval.providers.circuit import Breaker, CircuitBreaker
from llmeval.providers.limits import Clock, Estimate, Lane, Limited, Sleep
from llmeval.providers.retry import CallTrace, Retrying, trace


@dataclass(frozen=True)
class StackStats:
    """Counters of one model's stack in this process (snapshot)."""

    cache_hits: int = 0
    cache_misses: int = 0
    deduped: int = 0
    shared: int = 0  # of the deduped: answered by another process's call (cache claim)
    cache_writes: int = 0
    requests_sent: int = 0  # attempts that reached the base provider
    retries: int = 0
    rate_limited: int = 0
    lane_pauses: int = 0
    circuit_opens: int = 0
    circuit_rejected: int = 0
    max_in_flight: int = 0
    # adaptive concurrency (0 when the model has no concurrency bound)
    concurrency_limit: int = 0  # the configured maximum
    effective_concurrency: int = 0  # the AIMD limit now
    lowest_concurrency: int = 0
    concurrency_decreases: int = 0
    in_flight: int = 0
    # seconds, summed over requests: Retry-After delays + lane pauses + RPM/TPM waits
    limit_wait_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


class ModelStack:
    """A ``Provider`` plus the counters and parts the engine may want to see."""

    def __init__(
        self,
        spec: ModelSpec,
        base: Provider,
        outer: Provider,
        *,
        cached: Cached | None,
        retrying: Retrying,
        breaker: CircuitBreaker,
        limited: Limited,
        lane: Lane,
        batching: Any = None,
    ) -> None:
        self.batching = batching  # a providers.batching.Batching, or None
        self.spec = spec
        self.base = base
        self.outer = outer
        self.cached = cached
        self.retrying = retrying
        self.breaker = breaker
        self.limited = limited
        self.lane = lane

    @property
    def defers_warm(self) -> bool:
        """The base provider is readied (SDK imported, client built) by the cache layer
        before the first request actually sent, not up front: a fully cached run never
        imports the SDK."""
        return self.cached is not None and self.cached.before_first_send is not None

    async def complete(self, request: CompletionRequest) -> Completion:
        return await self.outer.complete(request)

    async def complete_traced(self, request: CompletionRequest) -> tuple[Completion, CallTrace]:
        """Like ``complete``; also how many attempts this call took (0 on a cache hit).

        On an error the trace is available as ``err.trace``.
        """
        with trace() as t:
            try:
                return await self.outer.complete(request), t
            except Exception as err:
                err.trace = t  # type: ignore[attr-defined]
                raise

    def stats(self) -> StackStats:
        c = self.cached.counts if self.cached is not None else None
        slots = self.limited.slots
        return StackStats(
            cache_hits=c.hits if c else 0,
            cache_misses=c.misses if c else 0,
            deduped=c.deduped if c else 0,
            shared=c.shared if c else 0,
            cache_writes=c.writes if c else 0,
            requests_sent=self.limited.sent,
            retries=self.retrying.retried,
            rate_limited=self.retrying.rate_limited,
            lane_pauses=self.lane.pauses,
            circuit_opens=self.breaker.opens,
            circuit_rejected=self.breaker.rejected,
            max_in_flight=self.limited.max_in_flight,
            concurrency_limit=slots.maximum if slots else 0,
            effective_concurrency=slots.current if slots else 0,
            lowest_concurrency=slots.lowest if slots else 0,
            concurrency_decreases=slots.decreases if slots else 0,
            in_flight=self.limited.in_flight,
            limit_wait_s=round(self.retrying.waited_s + self.limited.waited_s(), 3),
        )

    def counters(self) -> dict[str, float]:
        """``stats()`` as a plain dict, for the run summary and the progress display."""
        out = self.stats().as_dict()
        if self.batching is not None:
            out.update(asdict(self.batching.stats))
        return out

    async def aclose(self) -> None:
        await aclose(self.base)


def build_stack(
    base: Provider,
    spec: ModelSpec,
    *,
    cache: ResponseCache | None,
    cache_mode: str = "use",
    retries: int = 4,
    timeout_s: float | None = 60.0,
    deadline_s: float | None = None,
    endpoint: str = "",
    estimate: Estimate | None = None,
    concurrency: int | None = None,
    max_pause_s: float = 120.0,
    adaptive: bool = True,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    breaker: CircuitBreaker | None = None,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
    rand: Callable[[], float] = random.random,
    batching: Any = None,
) -> ModelStack:
    """Compose the stack for one model.

    The spec's own ``concurrency`` / ``rpm`` / ``tpm`` / ``timeout_s`` win over the
    run-wide ``concurrency`` / ``timeout_s`` given here. ``adaptive=False`` keeps the
    concurrency fixed (no AIMD). With ``cache=None`` or
    ``cache_mode="off"`` there is no cache layer (replay without a cache is refused).
    With ``batching`` (the ``Batching`` inside ``base``) the model's requests go into
    provider batches: no slots, RPM/TPM, attempt timeout or case deadline apply.
    """
    if cache is None and cache_mode == "replay":
        raise ValueError("replay mode needs a response cache")
    limits = spec
    if batching is not None:
        concurrency = timeout_s = deadline_s = None
        limits = replace(spec, concurrency=None, rpm=None, tpm=None, timeout_s=None)
    lane = Lane(clock=clock, sleep=sleep, max_pause_s=max_pause_s)
    watch = getattr(base, "watch_responses", None)  # SDK providers: hear a 429 at once
    if callable(watch):
        watch(lane.hear)
    limited = Limited(
        base,
        concurrency=limits.concurrency or concurrency,
        rpm=limits.rpm,
        tpm=limits.tpm,
        lane=lane,
        timeout_s=limits.timeout_s or timeout_s,
        estimate=estimate,
        clock=clock,
        sleep=sleep,
        adaptive=adaptive,
    )
    circuit = breaker or CircuitBreaker(clock=clock)
    retrying = Retrying(
        Breaker(limited, circuit),
        retries,
        base_delay,
        max_delay,
        deadline_s,
        sleep=sleep,
        rand=rand,
        clock=clock,
        lane=lane,
    )
    cached = None
    outer: Provider = retrying
    if cache is not None and cache_mode != "off":
        cached = Cached(retrying, cache, cache_mode, endpoint or endpoint_host(spec))
        outer = cached
        warm = getattr(base, "warm", None)
        if callable(warm):
            cached.before_first_send = warm
    return ModelStack(
        spec,
        base,
        outer,
        cached=cached,
        retrying=retrying,
        breaker=circuit,
        limited=limited,
        lane=lane,
        batching=batching,
    )


def warm_together(stacks: Iterable[object]) -> None:
    """One readying for all ``stacks`` whose cache layer defers it: the first real
    send of any of them readies every one (see ``ProviderFactory.warm``)."""
    group = [
        s
        for s in stacks
        if isinstance(s, ModelStack) and s.cached is not None and s.cached.before_first_send
    ]
    warms = [s.cached.before_first_send for s in group if s.cached is not None]

    def all_at_once() -> None:
        for s in group:
            if s.cached is not None:
                s.cached.before_first_send = None
        for warm in warms:
            if warm is not None:
                warm()

    for s in group:
        if s.cached is not None:
            s.cached.before_first_send = all_at_once


# cases in progress at once for a plan with batch models: enough to fill a batch
MAX_BATCH_POOL = 50_000


def runner_pool(providers: Iterable[object], concurrency: int, planned: int | None = None) -> int:
    """How many cases the runner should keep in progress at once.

    With a batch model, every case of the plan (``planned``, at most
    ``MAX_BATCH_POOL``): a case waits for its batch without holding anything, and a
    batch is only as full as the requests in progress together.

    When every model has a stack that bounds its own concurrency (AIMD in
    ``Limited``), the runner takes twice that many cases: a case sleeping its own
    Retry-After holds no slot, and the extra cases keep the slots busy meanwhile.
    Otherwise (local targets, or a stack without a bound) the runner's pool is the
    only bound and stays ``concurrency``.
    """
    stacks = list(providers)
    if any(getattr(p, "batching", None) is not None for p in stacks):
        return max(concurrency, min(planned or MAX_BATCH_POOL, MAX_BATCH_POOL))
    bounded = all(isinstance(p, ModelStack) and p.limited.slots is not None for p in stacks)
    return 2 * concurrency if stacks and bounded else concurrency


def describe(stack: ModelStack) -> dict[str, Any]:
    """Settings in force, for the run record (never a key)."""
    return {
        "model": stack.spec.alias,
        "cache_mode": stack.cached.mode if stack.cached else "off",
        "retries": stack.retrying.retries,
        "deadline_s": stack.retrying.deadline_s,
        "timeout_s": stack.limited.timeout_s,
        "max_pause_s": stack.lane.max_pause_s,
    }
