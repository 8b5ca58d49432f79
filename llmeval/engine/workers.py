"""``llmeval run --workers N``: one run, N processes, each a shard of it.

The parent plans the whole run and writes its run.json and plan.json before any worker
starts; worker K runs shard K/N of the same selection into its own segment,
``<run>/workers/wK/`` (its own journal, lock and run.json), sharing the response cache
(cross-process claims make an identical request once). When every worker has ended, the
parent merges the segments with the ``llmeval merge`` code into the run's one journal and
run.json; the CLI then gates it as any run.

Guarantees, kept per segment by the ordinary engine:
- limits are totals: each worker gets 1/N (rounded down, at least 1) of every model's
  ``concurrency``, ``rpm`` and ``tpm`` and of the run's concurrency;
- budget: ``--max-cost`` is split evenly, each worker stops at its share (so a run can
  stop with less than the total spent, never with more);
- Ctrl-C / SIGTERM reach the parent, which forwards each to every worker (first: drain
  and keep finished results; second: abandon calls in flight); workers get SIGTERM if the
  parent dies (``kill -9``), and ``--resume`` of the run resumes every segment.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from llmeval.domain.project import Project
from llmeval.engine.observer import NullObserver, Observer
from llmeval.errors import UsageError

SEGMENTS = "workers"
AUTO_MIN_ITEMS = 4000  # below this, one process: small runs never change behaviour
AUTO_MAX = 4


def default_workers(plan: Any, cpus: int | None) -> int:
    """The default of ``--workers`` (see ``default_workers_why``)."""
    return default_workers_why(plan, cpus)[0]


def default_workers_why(plan: Any, cpus: int | None) -> tuple[int, str]:
    """The default of ``--workers`` and why: 1, unless the plan is large (>= 4,000
    results) and CPU-bound in this process -- every model a ``python`` target -- then
    one per core (at most 4). API models and servers stay at 1: measured on 2 cores
    (``benchmarks/bench_workers.py --http 50``, 4,000 cases), a second worker was no
    faster at c=64 and within noise at c=128, the server and the SDK sharing the cores."""
    cpus = cpus or 1
    if cpus < 2:
        return 1, "one core"
    if len(plan.items) < AUTO_MIN_ITEMS:
        return 1, f"fewer than {AUTO_MIN_ITEMS:,} results"
    if not plan.models or any(s.provider != "python" for s in plan.models.values()):
        return 1, "an API or server model: bound by the provider, not by this process"
    n = min(cpus, AUTO_MAX)
    return n, f"{AUTO_MIN_ITEMS:,}+ results of python targets: one per core (at most {AUTO_MAX})"


def share(value: int | None, n: int) -> int | None:
    """A total limit's part for one of n workers: never more than the total together."""
    return None if value is None else max(1, value // n)


def shared_project(project: Project, n: int) -> Project:
    """The project as one worker of n sees it: every limit divided by n."""
    settings = project.settings
    models = {
        alias: replace(
            spec,
            concurrency=share(spec.concurrency, n),
            rpm=share(spec.rpm, n),
            tpm=share(spec.tpm, n),
        )
        for alias, spec in settings.models.items()
    }
    shared = replace(settings, models=models, concurrency=share(settings.concurrency, n) or 1)
    return replace(project, settings=shared)


@dataclass
class WorkerJob:
    """What the parent tells worker K (passed as JSON on its command line)."""

    root: str
    k: int
    n: int
    selection: dict[str, Any]
    segments_dir: str
    resume: bool
    concurrency: int | None
    cache_mode: str
    max_cost_usd: float | None
    baseline: str | None
    parent_pid: int

    def to_argv(self) -> list[str]:
        return [sys.executable, "-m", "llmeval.engine.worker", json.dumps(self.__dict__)]


def segment_dirs(run_dir: Path, n: int) -> list[Path]:
    return [run_dir / SEGMENTS / f"w{k}" for k in range(1, n + 1)]


def run_workers(
    project: Project,
    cfg: Any,
    run_dir: Path,
    n: int,
    *,
    baseline: str | None,
    observer: Observer | None = None,
) -> list[int]:
    """Start the N workers, follow their journals for progress, forward signals, and
    wait for all of them. Returns their exit codes."""
    observer = observer or NullObserver()
    jobs = [
        WorkerJob(
            root=str(project.root),
            k=k,
            n=n,
            selection={**cfg.selection.to_json(), "shard": f"{k}/{n}"},
            segments_dir=str(run_dir / SEGMENTS),
            resume=(seg / "run.json").exists(),
            concurrency=share(cfg.concurrency, n),
            cache_mode=cfg.cache_mode,
            max_cost_usd=None if cfg.max_cost_usd is None else cfg.max_cost_usd / n,
            baseline=baseline,
            parent_pid=os.getpid(),
        )
        for k, seg in zip(range(1, n + 1), segment_dirs(run_dir, n), strict=True)
    ]
    (run_dir / SEGMENTS).mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen[bytes]] = []
    logs = []
    for job in jobs:
        log = open(run_dir / SEGMENTS / f"w{job.k}.log", "ab")  # noqa: SIM115
        logs.append(log)
        # a session of its own: Ctrl-C reaches the parent only, which forwards it once
        procs.append(
            subprocess.Popen(
                job.to_argv(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,
            )
        )
    signals = {"count": 0}

    def forward(sig: int, _frame: Any) -> None:
        signals["count"] += 1
        if signals["count"] == 1:
            observer.on_notice(
                "stopping: the workers finish the calls in flight (Ctrl-C again to abandon them)"
            )
        for p in procs:
            if p.poll() is None:
                os.kill(p.pid, signal.SIGINT)

    old = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    tails = [_Tail(seg / "results.jsonl") for seg in segment_dirs(run_dir, n)]
    try:
        while True:
            for t in tails:
                for r in t.read():
                    observer.on_result(r)
            if all(p.poll() is not None for p in procs):
                break
            time.sleep(0.1)
        for t in tails:
            for r in t.read():
                observer.on_result(r)
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        for log in logs:
            log.close()
    codes = [p.returncode for p in procs]
    for k, code in enumerate(codes, 1):
        if code == 4:  # a usage or config error: every worker would say the same
            text = (run_dir / SEGMENTS / f"w{k}.log").read_text(errors="replace").strip()
            last = text.splitlines()[-1] if text else f"worker {k} failed"
            raise UsageError(last.removeprefix("error: "))
    return codes


class _Tail:
    """New complete lines of a journal another process is appending to."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0

    def read(self) -> list[Any]:
        from llmeval.domain.record import CaseResult

        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        self.offset += end
        out = []
        for line in data[:end].splitlines():
            try:
                out.append(CaseResult.from_json(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                continue
        return out
