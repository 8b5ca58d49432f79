"""``BatchSubmitter``: send a model's requests through its provider's batch API, resumably.

    sub = BatchSubmitter(folder, batch_backend(spec), cache=cache, endpoint=endpoint)
    outcomes = await sub.run(requests)          # submit, poll, collect
    provider = sub.provider()                   # a Provider answering from the batch

``run`` is idempotent: a request is identified by its cache key (also its batch
``custom_id``); keys that are cached, or claimed by a batch recorded in ``folder``,
are never submitted again — a process killed anywhere resumes by driving the
recorded batches on (finding one whose create was on the wire, polling the rest).
Only requests the provider never processed (expired, cancelled) go into a new batch.
Successful answers are written to the response cache like any answer, and every
outcome to the folder, so the engine can read them without the network.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import ProviderError, RateLimitError, TransientError
from llmeval.providers.batch.backend import BatchBackend, Remote
from llmeval.providers.batch.results import (
    BatchNotProcessed,
    Outcome,
    read_outcomes,
    write_outcomes,
)
from llmeval.providers.batch.state import BatchState, StateDir
from llmeval.providers.cache import cache_key, endpoint_host

Progress = Callable[[list[BatchState]], None]


class BatchSubmitter:
    def __init__(
        self,
        folder: Path,
        backend: BatchBackend,
        *,
        cache: Any = None,  # a ResponseCache, or None
        endpoint: str | None = None,  # as given to the model's Cached layer
        poll_s: float = 30.0,
        max_requests: int | None = None,  # per batch; default the API's limit
        create_grace_s: float = 10.0,  # how long a create cut off by a kill may still land
        sleep: Callable[[float], Any] = asyncio.sleep,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.dir = StateDir(folder)
        self.backend = backend
        self.cache = cache
        self.endpoint = endpoint or endpoint_host(backend.spec)
        self.poll_s = poll_s
        self.max_requests = max_requests or backend.max_requests
        self.create_grace_s = create_grace_s
        self.sleep = sleep
        self.wall = wall
        self.submitted_batches = 0  # creates this instance made (0 on a clean resume)
        self.adopted_batches = 0  # batches found again after a kill during the create

    def key(self, request: CompletionRequest) -> str:
        return cache_key(request, self.endpoint)

    # the whole cycle ------------------------------------------------------------
    async def run(
        self, requests: Sequence[CompletionRequest], *, on_progress: Progress | None = None
    ) -> dict[str, Completion | ProviderError]:
        """Submit what is not yet submitted, wait for every batch, collect. Resumable."""
        await self.submit(requests)
        await self.wait(on_progress=on_progress)
        await self.collect()
        return self.answers(requests)

    async def submit(self, requests: Sequence[CompletionRequest]) -> list[BatchState]:
        """Record and create batches for the requests not yet claimed; drive recorded
        batches that were not fully created. Returns every state of the folder."""
        by_key = {self.key(r): r for r in requests}
        states = self.dir.load()
        done = self._outcomes(states)
        claimed = {
            k
            for s in states
            if s.phase != "abandoned"
            for k in s.keys
            if not isinstance(done.get(k), Outcome) or done[k].processed
        }
        fresh = [
            k
            for k in by_key
            if k not in claimed and not (self.cache is not None and self.cache.contains(k))
        ]
        seq = self.dir.next_seq(states)
        for i in range(0, len(fresh), self.max_requests):
            state = BatchState(
                self.backend.api, seq, self.backend.spec.alias, fresh[i : i + self.max_requests]
            )
            self.dir.save(state)  # claimed before any call
            states.append(state)
            seq += 1
        for state in states:
            if not state.at_least("submitted"):
                await self._create(state, by_key, {s.batch_id for s in states if s.batch_id})
        return states

    async def _adopt(self, state: BatchState, known: Iterable[str | None]) -> bool:
        """A batch whose create was on the wire when the process died (or timed out):
        find it at the provider and record it; False if it is not there."""
        exclude = {k for k in known if k}
        found = await self.backend.find(state, exclude)
        late = state.intent_at + self.create_grace_s - self.wall()
        if found is None and late > 0:
            # the create may still be on its way to the provider: give it time
            await self.sleep(late)
            found = await self.backend.find(state, exclude)
        if found is None:
            return False
        state.batch_id, state.phase = found, "submitted"
        self.dir.save(state)
        self.adopted_batches += 1
        return True

    def abandon(self, state: BatchState) -> None:
        state.phase = "abandoned"
        self.dir.save(state)

    async def recover(self) -> list[BatchState]:
        """After a kill, without the requests at hand: every batch not fully created is
        adopted (its create reached the provider) or abandoned (nothing reached it, so
        its requests are free for a new batch). Returns every state of the folder."""
        states = self.dir.load()
        known = {s.batch_id for s in states}
        for state in states:
            if state.at_least("submitted"):
                continue
            if state.phase == "creating" and await self._adopt(state, known):
                known.add(state.batch_id)
                continue
            self.abandon(state)
        return states

    async def create_batch(self, requests: Sequence[CompletionRequest]) -> BatchState:
        """One new batch of exactly ``requests`` (the caller decided they need one).

        Raises the provider's error when the upload or create failed; the state is then
        abandoned, unless the create may have reached the provider (no answer: a
        timeout or a dropped connection) and the batch is found there."""
        by_key = {self.key(r): r for r in requests}
        states = self.dir.load()
        state = BatchState(
            self.backend.api, self.dir.next_seq(states), self.backend.spec.alias, list(by_key)
        )
        self.dir.save(state)  # claimed before any call
        try:
            await self._create(state, by_key, {s.batch_id for s in states})
        except ProviderError as err:
            sent = state.phase == "creating" and err.status is None
            if not (sent and await self._adopt(state, {s.batch_id for s in states})):
                self.abandon(state)
                raise
        return state

    async def _create(
        self, state: BatchState, by_key: dict[str, CompletionRequest], known: set[str | None]
    ) -> None:
        if state.phase == "creating" and await self._adopt(state, known):
            return  # killed while the create was on the wire, and it had landed
        missing = [k for k in state.keys if k not in by_key]
        if missing:
            raise ValueError(
                f"batch {state.name}: {len(missing)} recorded request(s) not given to resume it"
            )
        entries = [self.backend.entry(k, by_key[k]) for k in state.keys]
        if state.phase == "prepared":
            file_id = await self.backend.upload(entries)
            state.input_file_id, state.phase = file_id, "uploaded"
            self.dir.save(state)
        state.token = state.token or uuid.uuid4().hex
        state.intent_at = self.wall()
        state.phase = "creating"
        self.dir.save(state)  # before the create: a kill now is found again on resume
        state.batch_id = await self.backend.create(state, entries)
        state.phase = "submitted"
        self.dir.save(state)
        self.submitted_batches += 1

    # polling ----------------------------------------------------------------------
    async def poll(self) -> list[BatchState]:
        """Ask the provider once about every batch still running; record what it says."""
        states = self.dir.load()
        for state in states:
            if state.phase != "submitted":
                continue
            try:
                remote = await self.backend.retrieve(state)
            except (TransientError, RateLimitError):
                continue  # ask again at the next poll
            self._record(state, remote)
        return states

    def _record(self, state: BatchState, remote: Remote) -> None:
        state.remote_status = remote.status
        state.counts = dict(remote.counts)
        state.output_file_id = remote.output_file_id or state.output_file_id
        state.error_file_id = remote.error_file_id or state.error_file_id
        if remote.ended:
            state.phase = "ended"
        self.dir.save(state)

    async def wait(
        self, *, on_progress: Progress | None = None, timeout_s: float | None = None
    ) -> None:
        """Poll every ``poll_s`` until no batch is running (or ``timeout_s`` passed)."""
        start = self.wall()
        while True:
            states = await self.poll()
            if on_progress is not None:
                on_progress(states)
            if not any(s.phase == "submitted" for s in states):
                return
            if timeout_s is not None and self.wall() - start >= timeout_s:
                return
            await self.sleep(self.poll_s)

    # results ----------------------------------------------------------------------
    async def collect(self) -> None:
        """Read the results of every ended batch into the folder and the cache."""
        for state in self.dir.load():
            if state.phase != "ended":
                continue
            got = {o.key: o for o in await self.backend.outcomes(state) if o.key in set(state.keys)}
            outcomes = [got.get(k) or Outcome.unprocessed(k, "missing") for k in state.keys]
            write_outcomes(self.dir.results_path(state), outcomes)
            if self.cache is not None:
                for o in outcomes:
                    if o.completion is not None:
                        self.cache.put(o.key, o.completion)
            state.phase = "collected"
            self.dir.save(state)

    def _outcomes(self, states: Iterable[BatchState]) -> dict[str, Outcome]:
        out: dict[str, Outcome] = {}
        for s in states:
            if s.phase == "collected":
                out.update(read_outcomes(self.dir.results_path(s)))
        return out

    def outcomes(self) -> dict[str, Outcome]:
        """Every collected outcome of the folder, by key (a later batch wins)."""
        return self._outcomes(self.dir.load())

    def answers(
        self, requests: Sequence[CompletionRequest]
    ) -> dict[str, Completion | ProviderError]:
        """By key: the batch's Completion, a cached one, or the per-request error."""
        got = self.outcomes()
        out: dict[str, Completion | ProviderError] = {}
        for r in requests:
            k = self.key(r)
            o = got.get(k)
            if o is not None and o.completion is not None:
                out[k] = o.completion
            elif self.cache is not None and (hit := self.cache.get(k)) is not None:
                out[k] = hit
            elif o is not None:
                out[k] = o.error()
            else:
                out[k] = BatchNotProcessed("request not in any finished batch; it runs on resume")
        return out

    def provider(self) -> Any:
        """A ``Provider`` answering from the collected results (``answers.BatchAnswers``)."""
        from llmeval.providers.batch.answers import BatchAnswers

        return BatchAnswers(self)

    # operator commands ------------------------------------------------------------
    async def cancel(self) -> list[BatchState]:
        """Ask the provider to cancel every running batch (results so far are kept)."""
        states = self.dir.load()
        for state in states:
            if state.phase == "submitted":
                remote = await self.backend.cancel(state)
                state.cancel_requested = True
                self._record(state, remote)
        return states
