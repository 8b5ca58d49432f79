"""The result of a comparison: metric rows, case rows, and its JSON form.

``Comparison.to_json()`` is the contract with the HTML report and ``--json``;
``Comparison.from_json()`` reads it back (e.g. for the markdown summary).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

CHANGES = ("regressed", "fixed", "new", "removed", "flaky", "errored", "unchanged")


def _num(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


@dataclass(frozen=True, slots=True)
class RunRef:
    run_id: str
    label: str


@dataclass(frozen=True, slots=True)
class MetricRow:
    suite: str
    model: str
    prompt: str
    metric: str
    n: int
    base_mean: float
    cand_mean: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    significant: bool
    base_ci: tuple[float, float]
    cand_ci: tuple[float, float]

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for name in self.__slots__:  # type: ignore[attr-defined]
            v = getattr(self, name)
            d[name] = [_num(x) for x in v] if isinstance(v, tuple) else _num(v)
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> MetricRow:
        def f(x: Any) -> float:
            return math.nan if x is None else float(x)

        def pair(x: Any) -> tuple[float, float]:
            lo, hi = x if x else (None, None)
            return (f(lo), f(hi))

        return cls(
            suite=d["suite"],
            model=d["model"],
            prompt=d["prompt"],
            metric=d["metric"],
            n=int(d["n"]),
            base_mean=f(d.get("base_mean")),
            cand_mean=f(d.get("cand_mean")),
            delta=f(d.get("delta")),
            ci_low=f(d.get("ci_low")),
            ci_high=f(d.get("ci_high")),
            p_value=f(d.get("p_value")),
            p_adjusted=f(d.get("p_adjusted")),
            significant=bool(d.get("significant")),
            base_ci=pair(d.get("base_ci")),
            cand_ci=pair(d.get("cand_ci")),
        )


@dataclass(frozen=True, slots=True)
class CaseRow:
    suite: str
    case_id: str
    model: str
    prompt: str
    change: str
    base_status: str | None
    cand_status: str | None
    base_score: float | None
    cand_score: float | None
    base_output: str | None
    cand_output: str | None
    critical: bool = False

    def to_json(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}  # type: ignore[attr-defined]

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> CaseRow:
        return cls(
            suite=d["suite"],
            case_id=d["case_id"],
            model=d["model"],
            prompt=d["prompt"],
            change=d["change"],
            base_status=d.get("base_status"),
            cand_status=d.get("cand_status"),
            base_score=d.get("base_score"),
            cand_score=d.get("cand_score"),
            base_output=d.get("base_output"),
            cand_output=d.get("cand_output"),
            critical=bool(d.get("critical")),
        )


@dataclass(frozen=True, slots=True)
class Comparison:
    base: RunRef
    cand: RunRef
    changes: tuple[str, ...]
    metrics: tuple[MetricRow, ...]
    cases: tuple[CaseRow, ...]
    alpha: float = 0.05

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(CHANGES, 0)
        for c in self.cases:
            out[c.change] += 1
        return out

    @property
    def suites(self) -> set[str]:
        return {c.suite for c in self.cases}

    def by_change(self, change: str) -> list[CaseRow]:
        return [c for c in self.cases if c.change == change]

    def to_json(self) -> dict[str, Any]:
        return {
            "base": {"run_id": self.base.run_id, "label": self.base.label},
            "cand": {"run_id": self.cand.run_id, "label": self.cand.label},
            "changes": list(self.changes),
            "alpha": self.alpha,
            "metrics": [m.to_json() for m in self.metrics],
            "cases": [c.to_json() for c in self.cases],
            "counts": self.counts,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Comparison:
        """Read ``to_json()`` output back."""
        return cls(
            base=RunRef(d["base"]["run_id"], d["base"].get("label") or d["base"]["run_id"]),
            cand=RunRef(d["cand"]["run_id"], d["cand"].get("label") or d["cand"]["run_id"]),
            changes=tuple(d.get("changes") or ()),
            metrics=tuple(MetricRow.from_json(m) for m in d.get("metrics") or ()),
            cases=tuple(CaseRow.from_json(c) for c in d.get("cases") or ()),
            alpha=float(d.get("alpha", 0.05)),
        )
