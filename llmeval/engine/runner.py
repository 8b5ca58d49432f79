"""Run a plan: bounded concurrency, one journal line per finished result.

Failures of a call are data (the result's ``error``). Results that cannot be
attempted (interrupt, budget stop, open circuit) get no journal line: they are
``not_run`` and ``--resume`` picks them up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.record import ERROR, CaseResult, ErrorInfo
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.engine.journal import Journal
from llmeval.engine.loop import Transcript, converse, interrupted, journal_messages
from llmeval.engine.observer import Observer
from llmeval.engine.plan import Key, Plan, WorkItem
from llmeval.engine.scoring import score_item
from llmeval.engine.tracebacks import user_traceback
from llmeval.errors import CircuitOpenError, ProviderError
from llmeval.metrics.base import ScoreContext
from llmeval.providers.base import Provider
from llmeval.providers.secrets import redact

CostFn = Callable[[ModelSpec, Completion], "float | None"]
EstimateFn = Callable[[WorkItem], float]


class _NotRun(Exception):
    """The item could not be attempted; it stays not-run and resumable."""


@dataclass
class RunOptions:
    run_id: str
    concurrency: int = 8
    workers: int | None = None  # cases in progress at once; default: concurrency
    max_cost_usd: float | None = None
    grace_s: float = 30.0  # after Ctrl-C, how long calls in flight may finish
    # Local targets (python, echo) have no provider stack, so the runner bounds them; for
    # remote models the per-attempt timeout and per-case deadline belong to the stack.
    local_timeout_s: float | None = None


@dataclass
class RunOutcome:
    finished: int = 0  # results journaled by this invocation
    spent_usd: float = 0.0  # excluding cache hits
    stop_reason: str | None = None  # interrupted | budget | None
    notices: list[str] = field(default_factory=list)
    dead_models: dict[str, str] = field(default_factory=dict)  # alias -> why
    redactions: int = 0  # PII values replaced by placeholders in requests sent


def _too_long(item: WorkItem) -> ErrorInfo:
    limit = item.model.max_input_tokens
    return ErrorInfo(
        "input_too_long",
        f"~{item.over_limit} input tokens is over max_input_tokens {limit} of model "
        f"'{item.model.alias}'; not sent",
    )


class Runner:
    def __init__(
        self,
        plan: Plan,
        providers: Mapping[str, Provider],
        journal: Journal,
        observer: Observer,
        options: RunOptions,
        *,
        services_for: Callable[[WorkItem], Any] | None = None,
        cost: CostFn | None = None,
        estimate: EstimateFn | None = None,
        hold: EstimateFn | None = None,  # the part of estimate kept reserved after the item
        baseline_outputs: Mapping[tuple[str, str, str, str], str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.plan = plan
        self.providers = providers
        self.journal = journal
        self.observer = observer
        self.options = options
        self.services_for = services_for or (lambda item: None)
        self.cost = cost or (lambda spec, c: c.cost_usd)
        self.estimate = estimate
        self.hold = hold
        self.baseline_outputs = baseline_outputs or {}
        self.clock = clock
        self.wall = wall
        self.outcome = RunOutcome()
        self._reserved = 0.0

    async def run(
        self, done: set[Key], stop: asyncio.Event, abandon: asyncio.Event | None = None
    ) -> RunOutcome:
        """Run what is not ``done``. ``stop`` (first Ctrl-C) takes no new work and lets calls
        in flight finish for up to ``grace_s`` — they are paid for, so they are kept;
        ``abandon`` (second Ctrl-C) cancels them at once."""
        # A SIGINT before the session's handlers (asyncio.run's own handler cancels the
        # main task) surfaces at the first yield: it must be this one, before any case
        # task exists. Else each task starts a call first, abandoned without a journal
        # line and made again on resume (a --workers child interrupted while planning).
        await asyncio.sleep(0)
        pending = iter(list(self.plan.pending(done)))
        workers = [
            asyncio.create_task(self._worker(pending, stop))
            for _ in range(max(1, self.options.workers or self.options.concurrency))
        ]
        stopper = asyncio.create_task(stop.wait())
        try:
            remaining = set(workers)
            while remaining:
                finished, _ = await asyncio.wait(
                    remaining | {stopper}, return_when=asyncio.FIRST_COMPLETED
                )
                remaining -= finished
                if stopper in finished and remaining:
                    if self.outcome.stop_reason is None:
                        self.outcome.stop_reason = "interrupted"
                    await self._drain(remaining, abandon)
                    break
            if stop.is_set() and self.outcome.stop_reason is None:
                self.outcome.stop_reason = "interrupted"
            for w in workers:
                if w.done() and not w.cancelled() and w.exception() is not None:
                    raise w.exception()  # type: ignore[misc]
        finally:
            stopper.cancel()
        return self.outcome

    async def _drain(self, workers: set[asyncio.Task[None]], abandon: asyncio.Event | None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.options.grace_s
        waiter = asyncio.create_task((abandon or asyncio.Event()).wait())
        left = set(workers)
        try:
            while left and not waiter.done() and loop.time() < deadline:
                finished, _ = await asyncio.wait(
                    left | {waiter},
                    timeout=deadline - loop.time(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                left -= finished
        finally:
            waiter.cancel()
        for w in left:
            w.cancel()  # abandoned calls stay not-run, resumable
        await asyncio.gather(*left, return_exceptions=True)

    async def _worker(self, pending: Any, stop: asyncio.Event) -> None:
        for item in pending:
            if stop.is_set() or self.outcome.stop_reason == "budget":
                return
            if item.model.alias in self.outcome.dead_models:
                continue
            est = self.estimate(item) if self.estimate else 0.0
            # the comparison pass spends this share after the run: it stays reserved
            held = min(est, self.hold(item)) if self.hold else 0.0
            if not self._reserve(est):
                # take no new work, but let the calls in flight (within budget,
                # already paid for) finish and be journaled; stop.set() would cancel them
                self.outcome.stop_reason = "budget"
                return
            try:
                await self._process(item)
            except _NotRun:
                pass
            finally:
                self._reserved -= est - held

    def _reserve(self, est: float) -> bool:
        limit = self.options.max_cost_usd
        if limit is None:
            return True
        if self.outcome.spent_usd + self._reserved + est > limit + 1e-12:
            return False
        self._reserved += est
        return True

    async def _call(self, item: WorkItem) -> Completion:
        provider = self.providers[item.model.alias]
        if item.agenda is not None:  # a tool loop or a conversation: several calls
            return await converse(
                item,
                lambda request: self._complete(item, provider, request),
                lambda c: self.cost(item.model, c),
                self._spend,
            )
        return await self._complete(item, provider, item.request())

    def _spend(self, usd: float) -> None:
        self.outcome.spent_usd += usd

    async def _complete(
        self, item: WorkItem, provider: Provider, request: CompletionRequest
    ) -> Completion:
        timeout = self.options.local_timeout_s if item.model.is_local else None
        if timeout is None:
            return await provider.complete(request)
        async with asyncio.timeout(timeout):
            return await provider.complete(request)

    async def _process(self, item: WorkItem) -> None:
        start = self.clock()
        completion: Completion | None = None
        error: ErrorInfo | None = None
        try:
            if item.over_limit is not None:
                # reported by the plan; never sent, so no cost and no provider error
                error = _too_long(item)
            else:
                if item.redaction is not None:
                    self.outcome.redactions += item.redaction.count
                completion = await self._call(item)
        except CircuitOpenError as e:
            self._kill_model(item.model.alias, redact(e.message))
            raise _NotRun from e
        except ProviderError as e:
            error = ErrorInfo(e.kind, redact(e.message))
            if e.kind in ("auth", "quota"):
                # every later call would fail the same way: stop this model, resumably
                self._kill_model(item.model.alias, redact(e.message))
            completion = interrupted(e, error)  # a tool loop's steps before the failure
        except TimeoutError as e:
            limit = self.options.local_timeout_s or 0
            error = ErrorInfo("timeout", f"no answer within {limit:g} s")
            completion = interrupted(e, error)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            error = ErrorInfo(
                "target", redact(f"{type(e).__name__}: {e}"), traceback=user_traceback(e)
            )
            completion = interrupted(e, error)
        elapsed_ms = (self.clock() - start) * 1000.0
        result = await self._record(item, completion, error, elapsed_ms)
        self.journal.append(result)
        self.outcome.finished += 1
        self.observer.on_result(result)

    def _kill_model(self, alias: str, why: str) -> None:
        if alias not in self.outcome.dead_models:
            self.outcome.dead_models[alias] = why
            self.observer.on_notice(
                f"model '{alias}' stopped: {why}; its remaining cases are not run"
            )

    async def _record(
        self, item: WorkItem, c: Completion | None, error: ErrorInfo | None, elapsed_ms: float
    ) -> CaseResult:
        base = dict(
            run_id=self.options.run_id,
            suite=item.suite.name,
            case_id=item.case.id,
            model=item.model.alias,
            prompt=item.prompt.ref,
            prompt_sha=item.prompt.sha,
            repeat=item.repeat,
            expected=item.case.expected,
            vars=item.sent_vars,  # redacted when redacting: originals are never journaled
            messages=journal_messages(c, item.messages),
            tags=item.case.tags,
            finished_at=self.wall(),
        )
        if c is None:
            assert error is not None
            return CaseResult(
                status=ERROR, score=None, output=None, error=error, latency_ms=elapsed_ms, **base
            )
        text = redact(c.text)
        if text != c.text:  # an answer that echoes a key: never scored, journaled or reported
            c = replace(c, text=text)
        cost = self.cost(item.model, c)
        if cost is not None and not c.cached and not isinstance(c, Transcript):
            self.outcome.spent_usd += cost  # a transcript's calls were spent as they were made
        # the provider (or the local-target wrapper) timed the call itself; the runner's
        # own clock would add queueing and whatever else the event loop was doing
        latency = c.latency_ms if c.latency_ms else elapsed_ms
        tokens = {"input": c.input_tokens, "output": c.output_tokens}
        if isinstance(c, Transcript) and c.failure is not None:  # e.g. max_steps reached
            return CaseResult(
                status=ERROR,
                score=None,
                output=c.text,
                error=c.failure,
                latency_ms=latency,
                tokens=tokens,
                cost_usd=cost,
                cached=c.cached,
                tool_calls=c.tool_calls,
                trajectory=c.trajectory,
                model_id=c.model_id,
                finish_reason=c.finish_reason,
                **base,
            )
        services = self.services_for(item)
        ctx = ScoreContext(
            # scorers see the originals; the journal keeps the placeholders
            output=item.redaction.restore(c.text) if item.redaction else c.text,
            case=item.case,
            latency_ms=latency,
            cost_usd=cost,
            tokens=tokens,
            messages=c.history if isinstance(c, Transcript) else item.messages,
            model=item.model.alias,
            baseline_output=self.baseline_outputs.get(item.key[:4]),  # keyed as diff pairs
            repeat=item.repeat,
            tool_calls=c.tool_calls,
            tools=item.tools,
            finish_reason=c.finish_reason,
            ttft_ms=c.ttft_ms,
            trajectory=c.trajectory,
        )
        turns = c.turns if isinstance(c, Transcript) else ()
        status, score, assertions = await score_item(item, ctx, services, turns)
        judge_cost = getattr(services, "cost_usd", None)
        self.outcome.spent_usd += getattr(services, "spent_usd", 0.0)
        scorer_error = next((a for a in assertions if a.status == ERROR), None)
        return CaseResult(
            status=status,
            score=score,
            output=c.text,
            assertions=assertions,
            latency_ms=latency,
            tokens=tokens,
            cost_usd=cost,
            cached=c.cached,
            error=(
                ErrorInfo(
                    scorer_error.kind or "scorer", scorer_error.reason, scorer_error.traceback
                )
                if scorer_error
                else None
            ),
            tool_calls=tuple(getattr(c, "tool_calls", ()) or ()),
            ttft_ms=getattr(c, "ttft_ms", None),
            trajectory=c.trajectory,
            model_id=c.model_id,
            finish_reason=c.finish_reason,
            judge_cost_usd=judge_cost,
            judge_tokens=getattr(services, "tokens", None),
            **base,
        )
