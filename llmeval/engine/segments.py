"""A ``--workers N`` run end to end: plan, start the workers, merge their segments.

Returns the same ``RunReport`` as ``session.execute``, so the CLI gates, reports and
prints a workers run exactly as a one-process run. The run folder holds the merged
journal and run.json (rewritten from the segments on every resume: the segments are the
truth) and the segments under ``workers/``.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from llmeval.domain.project import Project
from llmeval.engine.observer import NullObserver, Observer
from llmeval.engine.runner import RunOutcome
from llmeval.engine.session import RunConfig, RunReport, Selection, plan_for
from llmeval.engine.workers import run_workers, segment_dirs
from llmeval.errors import UsageError
from llmeval.store.lock import run_lock
from llmeval.store.runs import JOURNAL, RunStore, atomic_write, new_run_id, write_json


def workers_of(project: Project, cfg: RunConfig) -> int | None:
    """N if ``cfg`` resumes a workers run (it keeps its N), else None."""
    if not cfg.resume:
        return None
    store = RunStore(project.root, project.settings.runs_dir)
    meta = store.read_manifest_at(store.resolve(cfg.resume))
    workers = meta.get("workers")
    return int(workers["n"]) if isinstance(workers, dict) else None


def execute_workers(
    project: Project,
    cfg: RunConfig,
    n: int,
    *,
    baseline: str | None = None,
    observer: Observer | None = None,
) -> RunReport:
    observer = observer or NullObserver()
    store = RunStore(project.root, project.settings.runs_dir)
    previous: dict[str, Any] = {}
    if cfg.resume:
        run_dir = store.resolve(cfg.resume)
        previous = store.read_manifest_at(run_dir)
        original = Selection(**previous["selection"])
        if not cfg.selection.is_default and cfg.selection != original:
            raise UsageError(
                f"--resume {run_dir.name}: the run was started with {original.describe()}; "
                f"resume it without selection flags (got {cfg.selection.describe()})"
            )
        cfg = replace(cfg, selection=original)
    else:
        run_dir = store.run_dir(cfg.run_id or new_run_id())
        if (run_dir / JOURNAL).exists() or (run_dir / "run.json").exists():
            raise UsageError(
                f"run '{run_dir.name}' already exists; use --resume {run_dir.name} to complete it"
            )
    run_id = run_dir.name
    with run_lock(run_dir):
        plan = plan_for(project, cfg.selection)
        if not plan.items:
            return RunReport(run_id, run_dir, plan, RunOutcome(), [], {}, 0)
        if not cfg.resume:  # durable before any worker starts: a kill -9 leaves the run
            store.write_plan(run_dir, {i.key for i in plan.items})
            write_json(
                run_dir / "run.json",
                {
                    "run_id": run_id,
                    "status": "running",
                    "started_at": time.time(),
                    "selection": cfg.selection.to_json(),
                    "workers": {"n": n},
                },
            )
        done = sum(1 for d in segment_dirs(run_dir, n) for _ in _lines(d / JOURNAL))
        observer.on_start(len(plan.items), done)
        try:
            codes = run_workers(project, cfg, run_dir, n, baseline=baseline, observer=observer)
        finally:
            observer.on_finish()
        return _merge_segments(run_dir, run_id, plan, n, codes, previous)


def _lines(path: Path) -> list[bytes]:
    try:
        return [ln for ln in path.read_bytes().split(b"\n") if ln.strip()]
    except FileNotFoundError:
        return []


def _merge_segments(
    run_dir: Path, run_id: str, plan: Any, n: int, codes: list[int], previous: dict[str, Any]
) -> RunReport:
    from llmeval.analysis.summarize import summarize
    from llmeval.store.merge import combine, journal_text, load_shard

    shards = [load_shard(d) for d in segment_dirs(run_dir, n) if (d / "run.json").exists()]
    merged = combine(shards, run_id) if shards else None
    if merged is None:
        raise UsageError(f"run '{run_id}': no worker started (see {run_dir}/workers/*.log)")
    manifest = merged.manifest
    manifest.pop("merged_from", None)
    manifest["workers"] = {
        "n": n,
        "segments": [f"workers/w{s.info.k}" for s in shards],
        "exit_codes": codes,
    }
    manifest["started_at"] = previous.get("started_at", manifest["started_at"])
    manifest["resumed_from"] = bool(previous)
    atomic_write(run_dir / JOURNAL, journal_text(merged.results))
    summary = summarize(
        merged.results,
        min_pass_rates={s.name: s.min_pass_rate for s in plan.suites},
        not_run=merged.not_run_by_group,
    )
    manifest["summary"] = summary.to_json()
    if 2 in codes and manifest["status"] not in ("interrupted", "budget"):
        manifest["status"] = "interrupted"  # a worker stopped before its run began
    write_json(run_dir / "run.json", manifest)
    status = manifest["status"]
    stop = status if status in ("interrupted", "budget") else None
    counts = manifest["counts"]
    outcome = RunOutcome(
        finished=int(counts.get("this_invocation") or 0),
        spent_usd=float(manifest.get("spent_usd") or 0),
        stop_reason=stop,
        dead_models=dict(manifest.get("stopped_models") or {}),
    )
    return RunReport(
        run_id,
        run_dir,
        plan,
        outcome,
        merged.results,
        manifest,
        merged.not_run,
        int(counts.get("resumed_done") or 0),
        summary,
    )
