"""``Batching``: a model's live calls, sent through its provider's batch API instead.

The runner awaits ``complete(request)`` per case, many at once; ``Batching`` sits
where the network call would happen (``Cached -> Retrying -> Breaker -> Limited ->
Redacting(Batching)``), collects the requests arriving together into one provider
batch (flushed when ``size`` requests wait, or ``window_s`` after the last arrival,
or ``max_wait_s`` after the first), submits it with ``BatchSubmitter`` (state in the
run folder before every call), polls, and resolves each request with its answer or
its per-request error. So cache hits never enter a batch, answers enter the cache
through ``Cached`` like any answer, and redaction applies as to any answer.

Recovery: on first use the run folder's batches are read. A batch cut off during
its create is adopted (found at the provider) or abandoned (never reached it); a
batch at the provider is polled again — its requests are never sent twice — and
what finished is served from its results file. A request the provider never
processed (expired, cancelled) goes into a new batch when it is asked for again.

How the stack's layers apply (``stack.build_stack(batching=...)``):

- no per-attempt timeout and no case deadline: a batch may take up to 24 h;
- no concurrency slots, RPM or TPM: a batch is a few calls to the batch endpoints,
  not one call per request (the providers rate-limit batches by queued tokens);
- ``Retrying``: a retryable per-request answer (5xx, 429, expired) is retried —
  into the next batch; fatal ones (bad request, auth) fail the case at once;
- ``Breaker`` counts per-request 5xx answers like live ones; a batch cancelled by
  ``llmeval batch cancel`` raises ``BatchNotProcessed`` (not-run, resumable).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import ProviderError, TransientError
from llmeval.providers.base import aclose

DEFAULT_SIZE = 10_000  # requests per batch; below both APIs' limits (50k / 100k)
WINDOW_S = 1.0  # flush this long after the last request arrived...
MAX_WAIT_S = 10.0  # ...or this long after the first, whichever comes first
POLL_MIN_S, POLL_MAX_S = 1.0, 30.0  # polls start fast and back off to every 30 s


def uses_batch(spec: ModelSpec, run_flag: bool) -> bool:
    """Does ``spec`` go through its provider's batch API in this run? (``batch: true``
    in llmeval.yaml, or ``--batch`` for every model whose provider has one)."""
    return spec.batch or (run_flag and spec.batch_capable)


class BatchSubmitFailed(ProviderError):
    """The batch's upload or create failed (5xx, timeout): retryable, and not counted
    by the circuit breaker once per request of the batch."""

    kind = "batch_submit"


@dataclass
class BatchingStats:
    batches_created: int = 0
    batches_adopted: int = 0  # found again after a kill during their create
    batches_resumed: int = 0  # recorded by an earlier process, polled again here
    batch_requests: int = 0  # requests this process put into new batches
    recorded_answers: int = 0  # answers served from batches an earlier process collected


@dataclass
class _Waiter:
    request: CompletionRequest
    futures: list[asyncio.Future[Completion]] = field(default_factory=list)


class Batching:
    def __init__(
        self,
        submitter: Any,  # a providers.batch.BatchSubmitter
        *,
        size: int | None = None,
        window_s: float = WINDOW_S,
        max_wait_s: float = MAX_WAIT_S,
        poll_min_s: float = POLL_MIN_S,
        poll_max_s: float = POLL_MAX_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sub = submitter
        self.spec: ModelSpec = submitter.backend.spec
        self.size = min(size or DEFAULT_SIZE, submitter.backend.max_requests)
        self.window_s = window_s
        self.max_wait_s = max_wait_s
        self.poll_min_s = poll_min_s
        self.poll_max_s = poll_max_s
        self.clock = clock
        self.stats = BatchingStats()
        self._queue: dict[str, _Waiter] = {}  # waiting for the next flush
        self._first_at = self._last_at = 0.0
        self._running: dict[str, list[asyncio.Future[Completion]]] = {}  # at the provider
        self._running_batches: set[str] = set()  # state names being polled
        self._recorded: dict[str, Any] = {}  # collected Outcomes not yet served
        self._start: asyncio.Task[None] | None = None
        self._flusher: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._poll_s = poll_min_s
        self._lock = asyncio.Lock()  # one create at a time: state numbers stay unique

    # the Provider interface ---------------------------------------------------------
    async def complete(self, request: CompletionRequest) -> Completion:
        if self._start is None:
            self._start = asyncio.ensure_future(self._recover())
        await asyncio.shield(self._start)
        key = self.sub.key(request)
        recorded = self._recorded.pop(key, None)
        if recorded is not None:  # an earlier process's batch answered it
            self.stats.recorded_answers += 1
            if recorded.completion is not None:
                return recorded.completion  # type: ignore[no-any-return]
            raise recorded.error()
        fut: asyncio.Future[Completion] = asyncio.get_running_loop().create_future()
        if key in self._running:  # in a batch at the provider: wait for it, never resend
            self._running[key].append(fut)
        else:
            self._enqueue(key, request, fut)
        return await fut

    async def aclose(self) -> None:
        for task in (self._flusher, self._poller, self._start):
            if task is not None and not task.done():
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        await aclose(self.sub.backend.provider)

    # start: what earlier processes left ------------------------------------------------
    async def _recover(self) -> None:
        from llmeval.providers.batch.results import read_outcomes

        states = await self.sub.recover()
        for s in sorted(states, key=lambda s: s.seq):  # a later batch wins
            if s.phase == "abandoned":
                continue
            if s.phase == "collected":
                for k, o in read_outcomes(self.sub.dir.results_path(s)).items():
                    self._running.pop(k, None)
                    if o.processed:
                        self._recorded[k] = o
                    else:  # expired or cancelled: free to go into a new batch
                        self._recorded.pop(k, None)
                continue
            self.stats.batches_resumed += 1
            self._running_batches.add(s.name)
            for k in s.keys:
                self._recorded.pop(k, None)
                self._running.setdefault(k, [])
        self.stats.batches_adopted = self.sub.adopted_batches
        if self._running_batches:
            self._ensure_poller()

    # flushing -------------------------------------------------------------------------
    def _enqueue(self, key: str, request: CompletionRequest, fut: asyncio.Future[Any]) -> None:
        now = self.clock()
        if not self._queue:
            self._first_at = now
        self._last_at = now
        self._queue.setdefault(key, _Waiter(request)).futures.append(fut)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_loop())
        elif len(self._queue) >= self.size:
            self._wake.set()

    def _due_in(self) -> float:
        if len(self._queue) >= self.size:
            return 0.0
        now = self.clock()
        return max(0.0, min(self._last_at + self.window_s, self._first_at + self.max_wait_s) - now)

    async def _flush_loop(self) -> None:
        while self._queue:
            delay = self._due_in()
            if delay > 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)
                continue
            taken = dict(list(self._queue.items())[: self.size])
            for k in taken:
                del self._queue[k]
            if self._queue:  # what is left starts a new window
                self._first_at = self._last_at = self.clock()
            await self._submit(taken)

    async def _submit(self, taken: dict[str, _Waiter]) -> None:
        waiters = {k: w for k, w in taken.items() if not all(f.done() for f in w.futures)}
        if not waiters:
            return  # every caller gave up (interrupt) before the flush
        try:
            async with self._lock:
                state = await self.sub.create_batch([w.request for w in waiters.values()])
        except TransientError as err:
            # one failed create is not one failure per request: the breaker must not
            # count it hundreds of times; Retrying still retries every request
            failed = BatchSubmitFailed(f"batch submission failed: {err.message}")
            for w in waiters.values():
                _fail(w.futures, failed)
            return
        except ProviderError as err:
            for w in waiters.values():
                _fail(w.futures, err)
            return
        except Exception as e:  # never leave a caller waiting forever
            broken = ProviderError(f"batch submission failed: {type(e).__name__}: {e}")
            for w in waiters.values():
                _fail(w.futures, broken)
            return
        self.stats.batches_created += 1
        self.stats.batch_requests += len(state.keys)
        for k, w in waiters.items():
            self._running.setdefault(k, []).extend(w.futures)
        self._running_batches.add(state.name)
        self._ensure_poller(reset=True)

    # polling --------------------------------------------------------------------------
    def _ensure_poller(self, reset: bool = False) -> None:
        if reset:
            self._poll_s = self.poll_min_s
        if self._poller is None or self._poller.done():
            self._poll_s = self.poll_min_s
            self._poller = asyncio.ensure_future(self._poll_loop())

    async def _poll_loop(self) -> None:
        from llmeval.providers.batch.results import read_outcomes

        while self._running_batches:
            await asyncio.sleep(self._poll_s)
            self._poll_s = min(self.poll_max_s, self._poll_s * 1.5)
            try:
                await self.sub.poll()
                await self.sub.collect()
            except ProviderError as err:
                if err.fatal:  # e.g. the key stopped working: fail the waiting cases
                    for futures in self._running.values():
                        _fail(futures, err)
                continue  # transient: ask again at the next poll
            for s in self.sub.dir.load():
                if s.name not in self._running_batches or s.phase != "collected":
                    continue
                self._running_batches.discard(s.name)
                for k, o in read_outcomes(self.sub.dir.results_path(s)).items():
                    if k not in s.keys:
                        continue
                    futures = self._running.pop(k, [])
                    live = [f for f in futures if not f.done()]
                    if not live:
                        if o.processed:  # asked for later (or by a resumed run): keep it
                            self._recorded[k] = o
                        continue
                    if o.completion is not None:
                        for f in live:
                            f.set_result(o.completion)
                    else:
                        _fail(live, o.error())


def _fail(futures: list[asyncio.Future[Any]], err: BaseException) -> None:
    for f in futures:
        if not f.done():
            f.set_exception(err)
