"""Multi-step generation: the tool loop and conversations (``WorkItem.agenda``).

For each turn (or once, without turns) the user message is appended to the history
and the model is asked; while its answer calls tools and a ``tools_impl`` is given,
each call runs (``engine.toolbox``), its result is appended as a ``tool`` message and
the model is asked again -- at most ``max_steps`` calls per turn. Every model call is
one ``provider.complete`` through the model's whole stack (cache, retries, limits,
circuit, redaction): the request holds the full history, so a rerun replays the
conversation from the cache and a resumed case re-asks nothing it had an answer to.

The result is one ``Transcript`` (a ``Completion``): the final answer's text, every
tool call, tokens and cost summed over the calls (each priced by the runner's cost
function, never here), latency over the whole loop, the trajectory (a ``model`` step
per call, a ``tool`` step per tool run) and the history. ``tool_choice`` forcing a
call (``required`` or a named tool) applies to a turn's first call only, else the
model could never answer. Hitting ``max_steps`` is the candidate's own error
(``max_steps``, not retryable), recorded with everything done up to it. A call that
fails (retries exhausted, a timeout, a target that raised) ends the loop with its
exception, which carries the transcript made before it (``interrupted``): the runner
records the error with those steps, their tokens and the cost already paid.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from llmeval.domain.prompt import Message
from llmeval.domain.record import ErrorInfo
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.domain.tools import ToolCall
from llmeval.domain.trajectory import MODEL, TOOL, Step
from llmeval.engine.plan import WorkItem
from llmeval.engine.toolbox import OUTPUT_CLIP, run_tool
from llmeval.text import clip

MAX_STEPS_KIND = "max_steps"

Call = Callable[[CompletionRequest], Awaitable[Completion]]
CostOf = Callable[[Completion], "float | None"]


@dataclass(frozen=True, slots=True)
class TurnReply:
    """The final answer to one turn, for its assertions."""

    text: str
    tool_calls: tuple[ToolCall, ...]  # every call made while answering this turn
    latency_ms: float
    end: int  # the history up to and including this answer: history[:end]


@dataclass(frozen=True, slots=True)
class Transcript(Completion):
    history: tuple[Message, ...] = ()
    turns: tuple[TurnReply, ...] = ()
    failure: ErrorInfo | None = None


_PARTIAL = "llmeval_partial_transcript"


def interrupted(e: BaseException, error: ErrorInfo) -> Transcript | None:
    """What a loop had done when ``e`` stopped it, as a failed transcript (``error``);
    None when ``e`` did not come out of a loop or came before its first answer."""
    partial = getattr(e, _PARTIAL, None)
    return replace(partial, failure=error) if isinstance(partial, Transcript) else None


def step_request(
    base: CompletionRequest, history: Sequence[Message], *, first: bool
) -> CompletionRequest:
    """One call of the loop: the history so far; a ``tool_choice`` forcing a call
    (``required`` or a named tool) only on a turn's first call."""
    choice = base.tool_choice
    if not first and choice is not None and choice.mode in ("required", "tool"):
        choice = None
    return replace(base, messages=tuple(history), tool_choice=choice)


def recorded_requests(item: WorkItem, history: Sequence[Message]) -> list[CompletionRequest]:
    """The calls a loop made to end with ``history`` (a journaled result's messages), in
    order: one per assistant message after the item's own messages. Empty when the
    history does not start with them (the prompt or the case changed since)."""
    start = len(item.messages)
    if tuple(history[:start]) != item.messages:
        return []
    base = item.request()
    return [
        step_request(base, history[:i], first=i == start or history[i - 1].role == "user")
        for i in range(max(start, 1), len(history))
        if history[i].role == "assistant"
    ]


def _clip(text: str) -> str:
    return clip(text, OUTPUT_CLIP)  # the one clipping rule (llmeval.text)


async def converse(
    item: WorkItem,
    call: Call,
    cost_of: CostOf,
    spend: Callable[[float], None],
    clock: Callable[[], float] = time.perf_counter,
) -> Transcript:
    """Run the item's agenda. ``spend`` is told each call's cost as soon as it is paid
    (not for cache hits), so a budget sees it even when a later call fails."""
    agenda = item.agenda
    assert agenda is not None
    start = clock()
    base = item.request()
    history = list(item.messages)
    steps: list[Step] = []
    calls: list[ToolCall] = []
    replies: list[TurnReply] = []
    tin = tout = 0
    cost: float | None = None
    cached = True
    last = Completion(text="")
    failure: ErrorInfo | None = None
    limit = agenda.max_steps if agenda.toolbox else 1

    def done(last: Completion, failure: ErrorInfo | None = None) -> Transcript:
        return Transcript(
            text=last.text,
            model_id=last.model_id,
            finish_reason=last.finish_reason,
            input_tokens=tin,
            output_tokens=tout,
            latency_ms=(clock() - start) * 1000.0,
            cached=cached,
            cost_usd=cost,
            tool_calls=tuple(calls),
            trajectory=tuple(steps),
            history=tuple(history),
            turns=tuple(replies) if agenda.turns else (),
            failure=failure,
        )

    for n, turn in enumerate(agenda.turns or (None,)):
        if turn is not None:
            history.append(turn.message)
        turn_start = clock()
        turn_calls: list[ToolCall] = []
        for step in range(limit):
            request = step_request(base, history, first=step == 0)
            try:
                last = await call(request)
            except Exception as e:
                if steps:  # the exception travels on (its kind decides); the steps with it
                    _attach(e, done(last))
                raise
            c_cost = cost_of(last)
            if c_cost is not None:
                cost = (cost or 0.0) + c_cost
                if not last.cached:
                    spend(c_cost)
            cached = cached and last.cached
            tin += last.input_tokens
            tout += last.output_tokens
            steps.append(
                Step(
                    MODEL,
                    last.model_id or item.model.alias,
                    output=_clip(last.text),
                    duration_ms=last.latency_ms,
                    source="loop",
                    attributes=_attrs(n if turn is not None else None, step, last),
                )
            )
            history.append(Message("assistant", last.text, tool_calls=last.tool_calls))
            calls.extend(last.tool_calls)
            turn_calls.extend(last.tool_calls)
            if agenda.toolbox is None or not last.tool_calls:
                break
            if step == limit - 1:
                failure = ErrorInfo(
                    MAX_STEPS_KIND,
                    f"the tool loop reached max_steps {limit} and the model still calls tools "
                    f"({', '.join(c.name for c in last.tool_calls)})",
                )
                break
            for tc in last.tool_calls:
                ran = await run_tool(agenda.toolbox, tc)
                steps.append(
                    Step(
                        TOOL,
                        tc.name,
                        arguments=tc.arguments,
                        output=_clip(ran.output),
                        error=ran.error,
                        duration_ms=round(ran.duration_ms, 3),
                        source="loop",
                        attributes={"turn": n} if turn is not None else {},
                    )
                )
                history.append(Message("tool", ran.output, tool_call_id=tc.id or tc.name))
        replies.append(
            TurnReply(last.text, tuple(turn_calls), (clock() - turn_start) * 1000.0, len(history))
        )
        if failure is not None:
            break
    return done(last, failure)


def _attach(e: BaseException, partial: Transcript) -> None:
    # an attribute, not a wrapper: the runner still sees the exception's own type (kind,
    # auth/quota stops the model, a circuit opening leaves the case not run)
    with contextlib.suppress(AttributeError):  # a type with __slots__: its steps are lost
        setattr(e, _PARTIAL, partial)


def _attrs(turn: int | None, step: int, c: Completion) -> dict[str, Any]:
    d: dict[str, Any] = {"step": step, "cached": c.cached}
    if turn is not None:
        d["turn"] = turn
    if c.tool_calls:
        d["tool_calls"] = [t.name for t in c.tool_calls]
    if c.finish_reason:
        d["finish_reason"] = c.finish_reason
    return d


def journal_messages(
    c: Completion | None, fallback: tuple[Message, ...]
) -> tuple[dict[str, Any], ...]:
    """The messages a result records: a transcript's whole history (secrets redacted),
    else the item's rendered messages."""
    if not isinstance(c, Transcript):
        return tuple({"role": m.role, "content": m.content} for m in fallback)
    from llmeval.providers.secrets import redact

    # the user message opening each turn carries its 0-based index, the number the
    # turn's assertions carry (AssertionResult.turn), so a reader never has to guess
    # which user message a turn is when the prompt or a prior history has some too
    starts = [len(fallback)] + [t.end for t in c.turns[:-1]] if c.turns else []
    out = [{**m.to_json(), "content": redact(m.content)} for m in c.history]
    for n, i in enumerate(starts):
        if i < len(out) and out[i].get("role") == "user":
            out[i]["turn"] = n
    return tuple(out)
