"""What a run records: the one typed shape of a result, used by every writer and reader.

    CaseResult        one journal line: case x model x prompt x repeat
    ├── AssertionResult  one assertion's verdict, with an explicit ``status``
    └── ErrorInfo        why the result (or an assertion) could not be scored

The journal (``results.jsonl``), baselines, the report payload, markdown, JUnit, the
console, ``--json`` and the Python API are all produced from these types; nothing reads
verdict flags out of ``details``. ``llmeval schema results`` is derived from them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Final, Literal, cast

from llmeval.domain.tools import ToolCall
from llmeval.domain.trajectory import Step

Status = Literal["pass", "fail", "error", "skipped"]

PASS: Final = "pass"
FAIL: Final = "fail"
ERROR: Final = "error"
SKIPPED: Final = "skipped"
NOT_RUN: Final = "not_run"  # never journaled: counted in run.json, picked up by --resume
STATUSES: tuple[Status, ...] = (PASS, FAIL, ERROR, SKIPPED)

# Error kinds that more calls could fix: a provider outage, a timeout, a missing key or
# a replay miss. Everything else (the target raised, a scorer crashed, the request was
# refused as malformed, the input is too long) is a verdict on the candidate itself and
# no resume changes it. ``analysis.gate`` uses this split for exit 1 versus exit 3.
RETRYABLE_KINDS = frozenset(
    {
        "provider",
        "transient",
        "timeout",
        "rate_limit",
        "circuit_open",
        "replay_miss",
        "auth",
        "quota",
        "unavailable",
    }
)

# Why an assertion was skipped when a model it needs (judge, moderation) is unavailable:
# under CI such a skip makes the run incomplete (see analysis.gate).
UNAVAILABLE = "unavailable"


def is_retryable(kind: str | None) -> bool:
    return kind in RETRYABLE_KINDS


@dataclass(frozen=True, slots=True)
class Score:
    """A metric's raw verdict, before thresholds and ``not-`` (``metrics.apply``).

    ``passed is None`` means unscored: never a pass. ``skipped`` means deliberately not
    scored; ``error`` that the scorer could not produce a verdict. ``kind`` names why,
    for either (e.g. ``unavailable``, ``replay_miss``, ``scorer``).
    """

    passed: bool | None
    score: float | None = None  # in [0, 1] when given
    reason: str = ""
    details: dict[str, Any] | None = None  # e.g. predicted label, per-criterion scores
    skipped: bool = False
    error: str | None = None
    kind: str | None = None
    traceback: str | None = None


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    kind: str
    message: str
    traceback: str | None = None  # the user's frames, for target and scorer exceptions

    @property
    def retryable(self) -> bool:
        return is_retryable(self.kind)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "message": self.message}
        if self.traceback:
            d["traceback"] = self.traceback
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ErrorInfo:
        return cls(str(d.get("kind", "error")), str(d.get("message", "")), d.get("traceback"))


@dataclass(frozen=True, slots=True)
class AssertionResult:
    """One assertion's verdict. ``status`` is explicit; ``passed`` is True only for
    ``pass``, False for ``fail`` and None otherwise (kept for promptfoo-style readers)."""

    type: str  # as written, with a not- prefix if any
    status: Status
    score: float | None
    reason: str = ""
    weight: float = 1.0
    metric: str | None = None
    details: dict[str, Any] | None = None
    kind: str | None = None  # for error / skipped: why (scorer, unavailable, replay_miss...)
    traceback: str | None = None
    turn: int | None = None  # in a conversation: the 0-based turn it scored; None = whole case

    @property
    def passed(self) -> bool | None:
        return True if self.status == PASS else (False if self.status == FAIL else None)

    @property
    def scored(self) -> bool:
        return self.status in (PASS, FAIL)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.type,
            "status": self.status,
            "passed": self.passed,
            "score": self.score,
            "reason": self.reason,
        }
        if self.weight != 1.0:
            d["weight"] = self.weight
        if self.metric:
            d["metric"] = self.metric
        if self.details:
            d["details"] = self.details
        if self.kind:
            d["kind"] = self.kind
        if self.traceback:
            d["traceback"] = self.traceback
        if self.turn is not None:
            d["turn"] = self.turn
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AssertionResult:
        status = d.get("status")
        if status not in STATUSES:  # journals written before status was explicit
            passed = d.get("passed")
            status = PASS if passed is True else FAIL if passed is False else SKIPPED
        return cls(
            type=d["type"],
            status=cast(Status, status),
            score=d.get("score"),
            reason=d.get("reason", ""),
            weight=d.get("weight", 1.0),
            metric=d.get("metric"),
            details=d.get("details"),
            kind=d.get("kind"),
            traceback=d.get("traceback"),
            turn=d.get("turn"),
        )


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One finished case x model x prompt x repeat: one line of results.jsonl."""

    run_id: str
    suite: str
    case_id: str
    model: str  # alias
    prompt: str  # name@vN
    prompt_sha: str
    repeat: int
    status: Status
    score: float | None
    output: str | None
    assertions: tuple[AssertionResult, ...] = ()
    latency_ms: float | None = None  # the target or provider call only
    tokens: dict[str, int] = field(default_factory=lambda: {"input": 0, "output": 0})
    cost_usd: float | None = None
    cached: bool = False
    error: ErrorInfo | None = None
    model_id: str = ""
    finish_reason: str | None = None
    expected: Any = None
    vars: dict[str, Any] = field(default_factory=dict)
    messages: tuple[dict[str, Any], ...] = ()
    tags: tuple[str, ...] = ()
    judge_cost_usd: float | None = None
    judge_tokens: dict[str, int] | None = None
    finished_at: float | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    ttft_ms: float | None = None  # time to first token, when streamed
    # what an agent did (tool loop, target-reported, OpenTelemetry); the full message
    # history of a tool loop or conversation is ``messages``
    trajectory: tuple[Step, ...] = ()

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.suite, self.case_id, self.model, self.prompt, self.repeat)

    @property
    def scored(self) -> bool:
        return self.status in (PASS, FAIL)

    @property
    def failing(self) -> tuple[AssertionResult, ...]:
        """The assertions that failed or errored, in order: a case's reasons, as every
        surface (console, report, markdown) lists them."""
        return tuple(a for a in self.assertions if a.status in (FAIL, ERROR))

    def to_json(self) -> dict[str, Any]:
        # shallow on purpose: asdict() deep-copies vars/messages, a hot spot per result
        d = {f: getattr(self, f) for f in _CASE_FIELDS}
        d["tokens"] = dict(self.tokens)
        d["assertions"] = [a.to_json() for a in self.assertions]
        d["error"] = self.error.to_json() if self.error else None
        d["messages"] = list(self.messages)
        d["tags"] = list(self.tags)
        if self.tool_calls:
            d["tool_calls"] = [t.to_json() for t in self.tool_calls]
        else:
            del d["tool_calls"]
        if self.ttft_ms is None:
            del d["ttft_ms"]
        if self.trajectory:
            d["trajectory"] = [s.to_json() for s in self.trajectory]
        else:
            del d["trajectory"]
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> CaseResult:
        err = d.get("error")
        return cls(
            run_id=d["run_id"],
            suite=d["suite"],
            case_id=d["case_id"],
            model=d["model"],
            prompt=d["prompt"],
            prompt_sha=d.get("prompt_sha", ""),
            repeat=d.get("repeat", 0),
            status=d["status"],
            score=d.get("score"),
            output=d.get("output"),
            assertions=tuple(AssertionResult.from_json(a) for a in d.get("assertions", ())),
            latency_ms=d.get("latency_ms"),
            tokens=d.get("tokens") or {"input": 0, "output": 0},
            cost_usd=d.get("cost_usd"),
            cached=d.get("cached", False),
            error=ErrorInfo.from_json(err) if err else None,
            model_id=d.get("model_id", ""),
            finish_reason=d.get("finish_reason"),
            expected=d.get("expected"),
            vars=d.get("vars") or {},
            messages=tuple(d.get("messages") or ()),
            tags=tuple(d.get("tags") or ()),
            judge_cost_usd=d.get("judge_cost_usd"),
            judge_tokens=d.get("judge_tokens"),
            finished_at=d.get("finished_at"),
            tool_calls=tuple(ToolCall.from_json(t) for t in d.get("tool_calls") or ()),
            ttft_ms=d.get("ttft_ms"),
            trajectory=tuple(Step.from_json(s) for s in d.get("trajectory") or ()),
        )


_CASE_FIELDS = tuple(f.name for f in fields(CaseResult))


def skipped_assertions(results: Any) -> list[tuple[CaseResult, AssertionResult]]:
    """Every skipped assertion of ``results``, with its result: the count the console,
    the report and the gate's CI rule all use."""
    return [(r, a) for r in results for a in r.assertions if a.status == SKIPPED]
