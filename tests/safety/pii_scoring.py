"""Precision and recall of the PII detector per kind on the labelled corpus.

A labelled item is found when a finding of its kind overlaps it; a finding that
overlaps no labelled item of its kind is a false positive. Shared by the test and
``benchmarks/pii_detector.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmeval.safety.pii import KINDS, Finding, find_pii

CORPUS = Path(__file__).with_name("pii_corpus.jsonl")


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    misses: list[str] = field(default_factory=list)
    false_alarms: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def load(path: Path = CORPUS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def score(
    rows: list[dict[str, Any]], detect: Callable[[str], list[Finding]] = find_pii
) -> dict[str, Tally]:
    tallies = {k: Tally() for k in KINDS}
    for row in rows:
        text = row["text"]
        labels = []
        for item in row["pii"]:
            start = text.index(item["value"])
            labels.append((item["kind"], start, start + len(item["value"])))
        findings = detect(text)
        for kind, s, e in labels:
            if any(f.kind == kind and f.start < e and s < f.end for f in findings):
                tallies[kind].tp += 1
            else:
                tallies[kind].fn += 1
                tallies[kind].misses.append(text)
        for f in findings:
            if not any(f.kind == k and f.start < e and s < f.end for k, s, e in labels):
                tallies[f.kind].fp += 1
                tallies[f.kind].false_alarms.append(f"{f.value!r} in {text!r}")
    return tallies


def table(tallies: dict[str, Tally]) -> str:
    lines = [f"{'kind':<7} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>7}"]
    for kind, t in tallies.items():
        lines.append(
            f"{kind:<7} {t.tp:>4} {t.fp:>4} {t.fn:>4} {t.precision:>10.3f} {t.recall:>7.3f}"
        )
    total = Tally(
        sum(t.tp for t in tallies.values()),
        sum(t.fp for t in tallies.values()),
        sum(t.fn for t in tallies.values()),
    )
    lines.append(
        f"{'all':<7} {total.tp:>4} {total.fp:>4} {total.fn:>4} "
        f"{total.precision:>10.3f} {total.recall:>7.3f}"
    )
    return "\n".join(lines)
