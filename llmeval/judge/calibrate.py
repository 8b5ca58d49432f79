"""Judge calibration: grade human-labelled examples and measure agreement with the humans.

Agreement, Cohen's kappa and the confusion matrix come from scikit-learn; unscored
verdicts are counted apart, never as agreement or disagreement. The labels file format
is described in ``llmeval.judge.labels``.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import Case
from llmeval.errors import ConfigError, ConfigErrors, UsageError
from llmeval.judge.labels import LabelledExample, assertion_of, load_labels, parse_labels
from llmeval.metrics.base import BuildContext, ScoreContext, Services

__all__ = [
    "CalibrationItem",
    "CalibrationReport",
    "LabelledExample",
    "agreement_stats",
    "assertion_grader",
    "calibrate",
    "load_labels",
    "parse_labels",
    "run_calibration",
]

_BANDS = ((0.0, "poor"), (0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial"))
_CONCURRENCY = 8  # the engine's limits apply per model; this only bounds open tasks


@dataclass(frozen=True, slots=True)
class CalibrationItem:
    example: LabelledExample
    score: Score  # the judge's verdict; passed None = unscored

    def to_json(self) -> dict[str, Any]:
        loc = self.example.location
        return {
            "line": loc.line if loc else None,
            "label": "pass" if self.example.label else "fail",
            "judge": _word(self.score.passed),
            "score": self.score.score,
            "reason": self.score.error or self.score.reason,
            "skipped": self.score.skipped,
        }


@dataclass(frozen=True, slots=True)
class CalibrationReport:
    items: tuple[CalibrationItem, ...]
    stats: dict[str, Any]
    judge: str | None = None
    source: str = ""

    @property
    def disagreements(self) -> list[CalibrationItem]:
        return [
            i
            for i in self.items
            if i.score.passed is not None and i.score.passed != i.example.label
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "judge": self.judge,
            **self.stats,
            "items": [i.to_json() for i in self.items],
        }


def agreement_stats(human: Sequence[bool], judge: Sequence[bool | None]) -> dict[str, Any]:
    """Agreement, Cohen's kappa and confusion matrix (rows human, cols judge: [pass, fail])."""
    if len(human) != len(judge):
        raise ValueError("human and judge verdicts differ in length")
    pairs = [(h, v) for h, v in zip(human, judge, strict=True) if v is not None]
    n, scored = len(human), len(pairs)
    stats: dict[str, Any] = {
        "n": n,
        "scored": scored,
        "unscored": n - scored,
        "agreement": None,
        "kappa": None,
        "confusion_matrix": [[0, 0], [0, 0]],
        "labels": ["pass", "fail"],
        "human_pass_rate": (sum(human) / n) if n else None,
        "judge_pass_rate": None,
        "kappa_band": "undefined",
    }
    if not pairs:
        return stats
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    h = [bool(a) for a, _ in pairs]
    v = [bool(b) for _, b in pairs]
    stats["agreement"] = sum(a == b for a, b in pairs) / scored
    stats["judge_pass_rate"] = sum(v) / scored
    stats["confusion_matrix"] = confusion_matrix(h, v, labels=[True, False]).tolist()
    if len(set(h) | set(v)) > 1:  # kappa is undefined (0/0) when everyone says the same
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kappa = float(cohen_kappa_score(h, v, labels=[True, False]))
        stats["kappa"] = None if math.isnan(kappa) else kappa
    stats["kappa_band"] = _band(stats["kappa"])
    return stats


def _word(passed: bool | None) -> str | None:
    return None if passed is None else ("pass" if passed else "fail")


def _band(kappa: float | None) -> str:
    """Landis & Koch's descriptive bands, to help a reader judge the figure."""
    if kappa is None:
        return "undefined"
    for limit, name in _BANDS:
        if kappa <= limit:
            return name
    return "almost perfect"


Grade = Callable[[LabelledExample], Awaitable[Score]]


async def calibrate(
    labels: Sequence[LabelledExample], grade: Grade, *, judge: str | None = None, source: str = ""
) -> CalibrationReport:
    """Grade every example (bounded concurrency) and compare with the human labels."""
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(ex: LabelledExample) -> Score:
        async with gate:
            try:
                return await grade(ex)
            except Exception as e:  # one broken example must not sink the calibration
                return Score(passed=None, error=f"{type(e).__name__}: {e}")

    scores = await asyncio.gather(*(one(ex) for ex in labels))
    items = tuple(CalibrationItem(ex, s) for ex, s in zip(labels, scores, strict=True))
    stats = agreement_stats([ex.label for ex in labels], [s.passed for s in scores])
    return CalibrationReport(items=items, stats=stats, judge=judge, source=source)


def assertion_grader(services: Services, build: BuildContext) -> Grade:
    """Grade an example with the real assertion machinery (thresholds, not-, options)."""
    from llmeval.metrics import registry
    from llmeval.metrics.apply import finalize

    async def grade(ex: LabelledExample) -> Score:
        spec = assertion_of(ex)
        defn, fn = registry.build(spec, build)
        case = Case(
            id=f"line-{ex.location.line if ex.location else 0}", vars=ex.vars, expected=ex.expected
        )
        ctx = ScoreContext(output=ex.output, case=case)
        raw: Score = await fn(ctx, services) if defn.kind == "async" else fn(ctx)  # type: ignore[misc,assignment]
        res = finalize(defn, spec, raw)
        flags = res.details or {}
        return Score(
            passed=res.passed,
            score=res.score,
            reason=res.reason,
            details=res.details,
            skipped=bool(flags.get("skipped")),
            error=res.reason if flags.get("error") else None,
        )

    return grade


async def run_calibration(
    path: str | Path, services: Services, judge_model: str | None
) -> CalibrationReport:
    """``llmeval judge calibrate LABELS.jsonl``: load, check the judge, grade, measure.

    Raises ConfigErrors for a bad labels file (every line at once), ConfigError for an
    invalid assertion in it (before any call), UsageError when no judge can be called.
    """
    from llmeval.metrics import registry

    examples = load_labels(path)
    build = BuildContext(root=Path(path).resolve().parent, judge=judge_model)
    errors: list[ConfigError] = []
    uses_judge = False
    for ex in examples:  # validate every assertion before the first judge call
        try:
            defn, _ = registry.build(assertion_of(ex), build)
            uses_judge = uses_judge or defn.judge
        except ConfigError as e:
            errors.append(e)
    if errors:
        raise ConfigErrors(errors)
    reason = services.judge_available(judge_model) if uses_judge else None
    if reason is not None:
        raise UsageError(reason)
    return await calibrate(
        examples, assertion_grader(services, build), judge=judge_model, source=str(path)
    )
