"""``comparisons.jsonl``: the verdicts of the comparison pass, beside the journal.

``select-best`` and ``max-score`` compare the outputs of one case across its prompts and
models, so they can only be decided once every result of the case is journaled. The
journal is append-only and one line per result, so their verdicts live here instead:
one line per result of a compared group, appended and flushed, the last line of a key
winning (as in the journal).

A line applies to a journal result only while that result is the one it was computed
on (``basis``: the result's finish time and output); a result re-run by ``--resume``
keeps its deferred placeholder until the pass runs again. ``overlay`` is called by the
one journal reader (``engine.journal.read_journal``), so ``run``, ``--resume``,
``report``, ``diff``, baselines and the verdict all see the same ``CaseResult``s: the
placeholders at ``positions`` replaced by the decided assertions, with the case's
status, score and error recomputed by the pass.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from llmeval.domain.record import AssertionResult, CaseResult, ErrorInfo, Status

COMPARISONS = "comparisons.jsonl"

Key = tuple[str, str, str, str, int]


def basis(result: CaseResult) -> str:
    """What identifies the journal line a verdict was computed on."""
    blob = json.dumps([result.finished_at, result.output, result.prompt_sha], default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decided comparison assertions of one result, and the case verdict they give."""

    key: Key
    basis: str
    group: str  # fingerprint of the group's inputs: an unchanged group is not recomputed
    positions: tuple[int, ...]  # indexes into the result's assertions
    assertions: tuple[AssertionResult, ...]
    status: Status
    score: float | None
    error: ErrorInfo | None = None
    judge_cost_usd: float | None = None  # added to the result's: the pass's judge calls
    judge_tokens: dict[str, int] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "key": list(self.key),
            "basis": self.basis,
            "group": self.group,
            "positions": list(self.positions),
            "assertions": [a.to_json() for a in self.assertions],
            "status": self.status,
            "score": self.score,
            "error": self.error.to_json() if self.error else None,
            "judge_cost_usd": self.judge_cost_usd,
            "judge_tokens": self.judge_tokens,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Verdict:
        s, c, m, p, r = d["key"]
        err = d.get("error")
        return cls(
            key=(str(s), str(c), str(m), str(p), int(r)),
            basis=str(d["basis"]),
            group=str(d.get("group", "")),
            positions=tuple(int(i) for i in d["positions"]),
            assertions=tuple(AssertionResult.from_json(a) for a in d["assertions"]),
            status=cast(Status, d["status"]),
            score=d.get("score"),
            error=ErrorInfo.from_json(err) if err else None,
            judge_cost_usd=d.get("judge_cost_usd"),
            judge_tokens=d.get("judge_tokens"),
        )


def read(run_dir: Path) -> dict[Key, Verdict]:
    """Every verdict of a run folder, the last one winning; a partial line is ignored."""
    path = run_dir / COMPARISONS
    out: dict[Key, Verdict] = {}
    if not path.exists():
        return out
    with open(path, "rb") as fh:
        for line in fh:
            if not line.endswith(b"\n") or not line.strip():
                continue  # the partial last line of a killed writer
            try:
                v = Verdict.from_json(json.loads(line.decode("utf-8")))
            except (ValueError, KeyError, TypeError, IndexError, AttributeError):
                continue
            out[v.key] = v
    return out


def append(run_dir: Path, verdicts: Iterable[Verdict]) -> int:
    """Append ``verdicts`` (flushed and synced); returns how many were written."""
    from llmeval.providers.secrets import redact

    lines = [
        redact(json.dumps(v.to_json(), ensure_ascii=False, separators=(",", ":"))) + "\n"
        for v in verdicts
    ]
    if not lines:
        return 0
    path = run_dir / COMPARISONS
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "ab+") as fh:  # a killed writer's partial line is cut first
        fh.seek(0, os.SEEK_END)
        if fh.tell():
            fh.seek(-1, os.SEEK_END)
            if fh.read(1) != b"\n":
                fh.seek(0)
                data = fh.read()
                fh.truncate(data.rfind(b"\n") + 1)
        fh.write("".join(lines).encode("utf-8"))
        fh.flush()
        os.fsync(fh.fileno())
    return len(lines)


def apply(result: CaseResult, verdict: Verdict) -> CaseResult:
    """``result`` with its placeholders decided, if ``verdict`` was computed on it."""
    n = len(result.assertions)
    if verdict.basis != basis(result) or any(not 0 <= i < n for i in verdict.positions):
        return result
    assertions = list(result.assertions)
    for i, a in zip(verdict.positions, verdict.assertions, strict=False):
        assertions[i] = a
    judge_cost = result.judge_cost_usd
    if verdict.judge_cost_usd is not None:
        judge_cost = (judge_cost or 0.0) + verdict.judge_cost_usd
    tokens = result.judge_tokens
    if verdict.judge_tokens:
        tokens = {
            k: (tokens or {}).get(k, 0) + verdict.judge_tokens.get(k, 0)
            for k in ("input", "output")
        }
    return replace(
        result,
        assertions=tuple(assertions),
        status=verdict.status,
        score=verdict.score,
        error=verdict.error,  # only results with an output are compared
        judge_cost_usd=judge_cost,
        judge_tokens=tokens,
    )


def overlay(results: Sequence[CaseResult], run_dir: Path) -> list[CaseResult]:
    """The journal's results with the comparison pass's verdicts applied."""
    if not (run_dir / COMPARISONS).exists():
        return list(results)
    verdicts = read(run_dir)
    return [apply(r, verdicts[r.key]) if r.key in verdicts else r for r in results]
