"""Shard runs → one run: find the run folders, check they belong together, combine them.

Pure reading and combining: no verdict is decided here (``engine.gating`` owns that, and
``llmeval merge`` calls it on what this returns, exactly as ``llmeval run`` does).

Shards belong together when every one carries the same whole-plan fingerprint and the
same N; a shard given twice is refused (its results would count twice). Missing shards
are not refused: the merged run is incomplete, with their results counted as not run.
Run folders may be anywhere (CI artifacts), and a folder holding run folders stands for
all of them, so ``llmeval merge shards/`` takes a download-artifact directory as it is.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from llmeval.domain.record import CaseResult
from llmeval.engine.journal import read_journal
from llmeval.engine.shard import ShardInfo, group_key
from llmeval.errors import UsageError
from llmeval.store.runs import JOURNAL, MANIFEST, RunStore

# what a shard's run.json holds that describes the shard, or a verdict the merge redoes
_PER_SHARD = ("shard", "verdict", "comparison", "run_state", "baseline", "summary")


@dataclass
class ShardRun:
    run_dir: Path
    manifest: dict[str, Any]
    info: ShardInfo
    results: list[CaseResult]
    planned: set[tuple[str, str, str, str, int]]  # its plan.json (what it set out to run)
    unreadable: list[int] = field(default_factory=list)  # journal lines that are not results


@dataclass
class Merged:
    """The combined run, before it is gated: what ``gate_run`` reads from a run report."""

    manifest: dict[str, Any]
    results: list[CaseResult]
    not_run_by_group: dict[tuple[str, str, str], int]
    missing: list[str] = field(default_factory=list)  # "K/N" of the shards not given

    @property
    def not_run(self) -> int:
        return sum(self.not_run_by_group.values())


def _is_run(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def find_runs(refs: list[str], store: RunStore) -> list[Path]:
    """Each ref: a run folder, a folder of run folders (two levels down at most), or a
    run id of this project."""
    found: list[Path] = []
    for ref in refs:
        path = Path(ref)
        if _is_run(path):
            found.append(path)
        elif path.is_dir():
            inner = sorted(
                {p.parent for p in (*path.glob(f"*/{MANIFEST}"), *path.glob(f"*/*/{MANIFEST}"))}
            )
            if not inner:
                raise UsageError(f"{ref}: no run folder (with {MANIFEST}) in it")
            found.extend(inner)
        else:
            found.append(store.resolve(ref))
    return found


def load_shard(run_dir: Path) -> ShardRun:
    manifest = RunStore(run_dir.parent).read_manifest_at(run_dir)
    raw = manifest.get("shard")
    if not isinstance(raw, dict):
        raise UsageError(
            f"{run_dir}: not a shard run (start shards with `llmeval run --shard K/N`)"
        )
    try:
        info = ShardInfo.from_json(raw)
    except (KeyError, TypeError, ValueError):
        raise UsageError(f"{run_dir / MANIFEST}: unreadable shard record") from None
    planned = RunStore(run_dir.parent).read_plan(run_dir)
    unreadable: list[int] = []
    results = read_journal(run_dir / JOURNAL, unreadable)
    if planned is not None:  # as a run reads itself: only what it planned
        results = [r for r in results if r.key in planned]
        return ShardRun(run_dir, manifest, info, results, planned, unreadable)
    return ShardRun(run_dir, manifest, info, results, {r.key for r in results}, unreadable)


def load_shards(paths: list[Path]) -> list[ShardRun]:
    """The shards, in K order; UsageError if they are not slices of one plan."""
    if not paths:
        raise UsageError("merge: name at least one shard run")
    shards = [load_shard(p) for p in paths]
    first = shards[0]
    for s in shards[1:]:
        if s.info.plan_fingerprint != first.info.plan_fingerprint:
            raise UsageError(
                f"merge: {s.run_dir} and {first.run_dir} are shards of different plans "
                f"(fingerprints {s.info.plan_fingerprint} and {first.info.plan_fingerprint})"
            )
        if s.info.n != first.info.n:
            raise UsageError(
                f"merge: {s.run_dir} is shard {s.info.label} and {first.run_dir} is "
                f"{first.info.label}: different shard counts"
            )
    by_k: dict[int, ShardRun] = {}
    for s in shards:
        seen = by_k.get(s.info.k)
        if seen is not None:
            raise UsageError(
                f"merge: shard {s.info.label} given twice ({seen.run_dir} and {s.run_dir})"
            )
        by_k[s.info.k] = s
    return [by_k[k] for k in sorted(by_k)]


def _sum_numbers(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Add counters (cache hits, limiter stats) key by key; keep the first of anything else."""
    for key, value in other.items():
        mine = into.get(key)
        if isinstance(value, dict) and isinstance(mine, dict):
            _sum_numbers(mine, value)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(mine, (int, float)) and not isinstance(mine, bool):
                into[key] = mine + value
            elif key not in into:
                into[key] = value
        elif key not in into:
            into[key] = copy.deepcopy(value)


def _status(shards: list[ShardRun], not_run: int) -> str:
    statuses = {s.manifest.get("status") for s in shards}
    for stop in ("interrupted", "budget"):
        if stop in statuses:
            return stop
    return "incomplete" if not_run else "complete"


def combine(shards: list[ShardRun], run_id: str) -> Merged:
    """One journal and one manifest from the shards (which ``load_shards`` checked)."""
    info = shards[0].info
    results = [replace(r, run_id=run_id) for s in shards for r in s.results]
    have = Counter(group_key(r.suite, r.model, r.prompt) for r in results)
    not_run: dict[tuple[str, str, str], int] = {}
    for g, total in info.group_totals.items():
        left = total - have.get(g, 0)
        if left > 0:
            suite, model, prompt = g.split("\t")
            not_run[(suite, model, prompt)] = left
    present = {s.info.k for s in shards}
    missing = [f"{k}/{info.n}" for k in range(1, info.n + 1) if k not in present]

    base = copy.deepcopy(shards[0].manifest)
    for key in _PER_SHARD:
        base.pop(key, None)
    counts: dict[str, Any] = {}
    cache: dict[str, Any] = {}
    stopped: dict[str, Any] = {}
    model_ids: dict[str, set[str]] = {}
    for s in shards:
        _sum_numbers(counts, s.manifest.get("counts") or {})
        _sum_numbers(cache, s.manifest.get("cache") or {})
        stopped.update(s.manifest.get("stopped_models") or {})
        for alias, m in (s.manifest.get("models") or {}).items():
            ids = (m or {}).get("model_id") or ""
            model_ids.setdefault(alias, set()).update(i for i in ids.split(",") if i)
    finished = len(results)
    counts.update(
        planned=info.planned_total, finished=finished, not_run=info.planned_total - finished
    )
    for alias, ids in model_ids.items():
        if alias in base.get("models", {}):
            base["models"][alias]["model_id"] = ",".join(sorted(ids)) or None
    started = min(float(s.manifest.get("started_at") or 0) for s in shards)
    ended = max(float(s.manifest.get("finished_at") or 0) for s in shards)
    selection = dict(base.get("selection") or {})
    selection["shard"] = None  # the merged run is the whole plan
    base.update(
        run_id=run_id,
        selection=selection,
        started_at=started,
        finished_at=ended,
        duration_s=round(max(ended - started, 0.0), 3),
        resumed_from=False,
        status=_status(shards, counts["not_run"]),
        counts=counts,
        spent_usd=round(sum(float(s.manifest.get("spent_usd") or 0) for s in shards), 8),
        stopped_models=stopped,
        cache=cache,
        merged_from={
            "plan_fingerprint": info.plan_fingerprint,
            "n": info.n,
            "shards": [
                {"shard": s.info.label, "run_id": s.manifest.get("run_id"), "path": str(s.run_dir)}
                for s in shards
            ],
            "missing": missing,
        },
    )
    return Merged(base, results, not_run, missing)


def journal_text(results: list[CaseResult]) -> str:
    """The merged journal, one line per result as ``Journal.append`` writes them."""
    return "".join(
        json.dumps(r.to_json(), ensure_ascii=False, separators=(",", ":")) + "\n" for r in results
    )
