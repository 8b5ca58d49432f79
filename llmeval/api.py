"""The Python API: llmeval inside your own tests, scripts and notebooks.

    project = llmeval.load_project(".")
    result = llmeval.run(project, suites=["support-faq"], write=False)
    result.verdict.passed, result.summary.totals.pass_rate, result.to_pandas()

``run`` / ``run_async`` do what ``llmeval run`` does (plan, execute, journal, gate
against an optional baseline) and return a typed ``RunResult``; the verdict is the one
``analysis.gate.verdict`` gives the CLI, through ``engine.gating``. Nothing here prints.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from llmeval.analysis.comparison import Comparison
from llmeval.analysis.gate import Verdict
from llmeval.analysis.summarize import RunSummary
from llmeval.domain.project import Project
from llmeval.domain.record import CaseResult
from llmeval.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from llmeval.store.project import StoredResults

CacheMode = Literal["use", "refresh", "off", "replay"]
PathLike = str | os.PathLike[str]
_CACHE_MODES = ("use", "refresh", "off", "replay")


@dataclass(frozen=True)
class RunResult:
    """A finished run: its results, summary and verdict (and comparison, if gated)."""

    run_id: str
    results: tuple[CaseResult, ...]
    summary: RunSummary
    verdict: Verdict
    comparison: Comparison | None = None
    run_dir: Path | None = None  # None when run with write=False
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)  # run.json's content
    notices: tuple[str, ...] = ()  # what the engine had to say (stopped lanes, retries...)

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    @property
    def exit_code(self) -> int:
        """The exit code ``llmeval run`` gives this run."""
        return self.verdict.exit_code

    def explain(self) -> str:
        """The verdict as the CLI prints it: headline, reasons, notes."""
        return explain(self.verdict, self.run_id)

    def to_pandas(self) -> pd.DataFrame:
        """One row per result: suite, case_id, model, prompt, repeat, status, score,
        latency_ms, cost_usd, tokens, cached, error_kind, output, then one column per
        assertion metric (its score). Needs pandas (imported only here)."""
        from llmeval.analysis.table import results_frame

        return results_frame(self.results)


@dataclass(frozen=True)
class CompareResult:
    """``compare(base, cand)``: the paired comparison and the candidate's verdict."""

    comparison: Comparison
    verdict: Verdict

    @property
    def passed(self) -> bool:
        return self.verdict.passed

    def explain(self) -> str:
        return explain(self.verdict, self.comparison.cand.label)


def explain(verdict: Verdict, label: str = "") -> str:
    """Plain text of a verdict: the headline, then every reason and note (one a line)."""
    lines = [f"{verdict.headline} {label}".rstrip()]
    lines += [f"  • {r.message}" for r in verdict.reasons]
    lines += [f"  · {n}" for n in verdict.notes]
    return "\n".join(lines)


def load_project(path: PathLike = ".") -> Project:
    """The project at ``path`` or the nearest folder above it holding ``llmeval.yaml``.

    Raises ``llmeval.errors.ConfigErrors`` listing every problem (file:line:col).
    """
    from llmeval.config.project import load_project as _load
    from llmeval.config.settings import find_root

    return _load(find_root(Path(path).resolve()))


def _project(project: Project | PathLike) -> Project:
    return project if isinstance(project, Project) else load_project(project)


def _names(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _stored(result: RunResult) -> StoredResults:
    from llmeval.store.project import StoredResults

    return StoredResults(list(result.results), dict(result.manifest), result.run_id, result.run_dir)


async def run_async(
    project_or_path: Project | PathLike = ".",
    suites: str | Sequence[str] | None = None,
    models: str | Sequence[str] | None = None,
    tags: str | Sequence[str] | None = None,
    filter: str | None = None,
    repeat: int = 1,
    concurrency: int | None = None,
    cache_mode: CacheMode = "use",
    max_cost: float | None = None,
    baseline: PathLike | RunResult | None = None,
    write: bool = True,
    run_id: str | None = None,
    allow_skipped: bool = False,
    allow_changed_judge: bool = False,
    ci: bool | None = None,
) -> RunResult:
    """Run suites on the running event loop, gate the run, return its ``RunResult``.

    ``baseline``: ``"auto"`` (each suite's committed baseline), a baseline file, a run
    id / folder, or an earlier ``RunResult``. ``write=False`` runs in a temporary runs
    folder that is removed afterwards (no run folder, no HTML report). ``ci`` defaults
    to the ``CI`` environment variable, as for the CLI.
    """
    from llmeval.engine.gating import check_comparable, gate_run
    from llmeval.engine.observer import RecordingObserver
    from llmeval.engine.session import RunConfig, Selection, execute_async, plan_for
    from llmeval.store.project import ProjectStore

    if cache_mode not in _CACHE_MODES:
        raise UsageError(f"cache_mode must be use, refresh, off or replay, not '{cache_mode}'")
    if repeat < 1:
        raise UsageError(f"repeat must be at least 1, not {repeat}")
    project = _project(project_or_path)
    suite_names = _names(suites)
    selection = Selection(suite_names, _names(models), _names(tags), filter, repeat)
    store = ProjectStore(project.root, project.settings)
    baselines: StoredResults | None = None
    if isinstance(baseline, RunResult):
        baselines = _stored(baseline)
    elif baseline is not None:
        baselines = store.load_baselines(os.fspath(baseline), suite_names or list(project.suites))
    scratch = None if write else Path(tempfile.mkdtemp(prefix="llmeval-run-"))
    try:
        cfg = RunConfig(
            selection=selection,
            run_id=run_id,
            concurrency=concurrency,
            cache_mode=cache_mode,
            max_cost_usd=max_cost,
            runs_dir=scratch,
        )
        if baselines is not None:
            if not allow_changed_judge:
                cfg.plan = plan_for(project, selection)  # built once, reused by the run
                check_comparable(project, cfg.plan, baselines)  # before any call
            cfg.baseline_results = baselines.results
        observer = RecordingObserver()
        report = await execute_async(project, cfg, observer=observer)
        if not report.plan.items:
            raise UsageError(
                "nothing selected: no case matches the given suites, models, tags or filter"
            )
        verdict, comparison = gate_run(
            project,
            report,
            baselines,
            allow_changed=allow_changed_judge,
            allow_skipped=allow_skipped,
            ci=ci,
        )
        if write:
            _write_report(store, report, verdict, comparison)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return RunResult(
        run_id=report.run_id,
        results=tuple(report.results),
        summary=report.summary,
        verdict=verdict,
        comparison=comparison,
        run_dir=report.run_dir if write else None,
        manifest=report.manifest,
        notices=tuple(observer.notices),
    )


def _write_report(store: Any, report: Any, verdict: Verdict, comparison: Comparison | None) -> None:
    """The HTML report ``llmeval run`` writes: reports/<run_id>.html and latest.html."""
    from llmeval.report.html import render_html
    from llmeval.store.runs import atomic_write

    cmp_json = comparison.to_json() if comparison is not None else None
    page = render_html(report.results, report.manifest, comparison=cmp_json, verdict=verdict)
    for target in (store.report_path(report.run_id), store.latest_report()):
        atomic_write(Path(target), page)


def run(
    project_or_path: Project | PathLike = ".",
    suites: str | Sequence[str] | None = None,
    models: str | Sequence[str] | None = None,
    tags: str | Sequence[str] | None = None,
    filter: str | None = None,
    repeat: int = 1,
    concurrency: int | None = None,
    cache_mode: CacheMode = "use",
    max_cost: float | None = None,
    baseline: PathLike | RunResult | None = None,
    write: bool = True,
    run_id: str | None = None,
    allow_skipped: bool = False,
    allow_changed_judge: bool = False,
    ci: bool | None = None,
) -> RunResult:
    """``run_async`` for synchronous code. Inside a running event loop (Jupyter,
    pytest-asyncio) the run goes to a worker thread with its own loop, since a loop
    cannot be re-entered; the caller's thread waits for it."""

    def go() -> RunResult:
        return asyncio.run(
            run_async(
                project_or_path,
                suites=suites,
                models=models,
                tags=tags,
                filter=filter,
                repeat=repeat,
                concurrency=concurrency,
                cache_mode=cache_mode,
                max_cost=max_cost,
                baseline=baseline,
                write=write,
                run_id=run_id,
                allow_skipped=allow_skipped,
                allow_changed_judge=allow_changed_judge,
                ci=ci,
            )
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return go()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="llmeval-run") as pool:
        return pool.submit(go).result()


def compare(
    base: PathLike | RunResult,
    cand: PathLike | RunResult,
    project: Project | PathLike | None = None,
    *,
    allow_changed_judge: bool = False,
    seed: int = 0,
) -> CompareResult:
    """What ``llmeval diff BASE CAND`` computes: the paired comparison, and the verdict
    on the candidate by the policies it ran with (the verdict ``run --baseline`` gave).

    ``base`` / ``cand``: run ids (or ``latest``, a run folder), baseline files, or
    ``RunResult`` objects. ``project`` (a Project or a path; default: the current
    directory's) says where runs live and the gate's ``alpha``.
    """
    from llmeval.config.settings import find_root, load_settings
    from llmeval.engine.gating import compare_with, judge
    from llmeval.store.project import ProjectStore

    if isinstance(project, Project):
        root, settings = project.root, project.settings
    else:
        root = find_root(Path(project if project is not None else ".").resolve())
        settings = load_settings(root)
    store = ProjectStore(root, settings)

    def load(ref: PathLike | RunResult) -> StoredResults:
        return _stored(ref) if isinstance(ref, RunResult) else store.load_ref(os.fspath(ref))

    b, c = load(base), load(cand)
    comparison = compare_with(
        b,
        c.results,
        c.meta,
        allow_changed=allow_changed_judge,
        alpha=settings.gate.alpha,
        seed=seed,
    )
    if not any(x.change not in ("new", "removed") for x in comparison.cases):
        raise UsageError(
            f"nothing to compare: {b.label} and {c.label} share no case "
            "(same suite, case id, model and prompt name)"
        )
    return CompareResult(comparison, judge(c.results, c.meta, comparison, baseline=b.label))
