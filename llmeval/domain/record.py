"""What a run records: scores, assertion results and one journal line per result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

PASS, FAIL, ERROR, SKIPPED, NOT_RUN = "pass", "fail", "error", "skipped", "not_run"
STATUSES = (PASS, FAIL, ERROR, SKIPPED)


@dataclass(frozen=True, slots=True)
class Score:
    """A metric's verdict. ``passed is None`` means unscored: never a pass."""

    passed: bool | None
    score: float | None = None  # in [0, 1] when given
    reason: str = ""
    details: dict[str, Any] | None = None  # e.g. predicted label, per-criterion scores
    skipped: bool = False  # deliberately not scored (no judge available)
    error: str | None = None  # scorer crashed: the case becomes an error


@dataclass(frozen=True, slots=True)
class AssertionResult:
    type: str  # as written, with a not- prefix if any
    passed: bool | None
    score: float | None
    reason: str = ""
    weight: float = 1.0
    metric: str | None = None
    details: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "type": self.type,
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
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> AssertionResult:
        return cls(
            type=d["type"],
            passed=d.get("passed"),
            score=d.get("score"),
            reason=d.get("reason", ""),
            weight=d.get("weight", 1.0),
            metric=d.get("metric"),
            details=d.get("details"),
        )


@dataclass(frozen=True, slots=True)
class ErrorInfo:
    kind: str
    message: str


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
    status: str  # pass | fail | error | skipped
    score: float | None
    output: str | None
    assertions: tuple[AssertionResult, ...] = ()
    latency_ms: float | None = None
    tokens: dict[str, int] = field(default_factory=lambda: {"input": 0, "output": 0})
    cost_usd: float | None = None
    cached: bool = False
    error: ErrorInfo | None = None
    model_id: str = ""
    finish_reason: str | None = None
    expected: Any = None
    vars: dict[str, Any] = field(default_factory=dict)
    messages: tuple[dict[str, str], ...] = ()
    tags: tuple[str, ...] = ()
    judge_cost_usd: float | None = None
    judge_tokens: dict[str, int] | None = None
    finished_at: float | None = None

    @property
    def key(self) -> tuple[str, str, str, str, int]:
        return (self.suite, self.case_id, self.model, self.prompt, self.repeat)

    def to_json(self) -> dict[str, Any]:
        # shallow on purpose: asdict() deep-copies vars/messages, a hot spot per result
        d = {f: getattr(self, f) for f in _CASE_FIELDS}
        d["tokens"] = dict(self.tokens)
        d["assertions"] = [a.to_json() for a in self.assertions]
        d["error"] = asdict(self.error) if self.error else None
        d["messages"] = list(self.messages)
        d["tags"] = list(self.tags)
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
            error=ErrorInfo(**err) if err else None,
            model_id=d.get("model_id", ""),
            finish_reason=d.get("finish_reason"),
            expected=d.get("expected"),
            vars=d.get("vars") or {},
            messages=tuple(d.get("messages") or ()),
            tags=tuple(d.get("tags") or ()),
            judge_cost_usd=d.get("judge_cost_usd"),
            judge_tokens=d.get("judge_tokens"),
            finished_at=d.get("finished_at"),
        )


_CASE_FIELDS = tuple(f.name for f in fields(CaseResult))
