"""One ``llmeval run``: plan, wire providers, execute, journal, summarise, manifest.

The CLI calls ``execute``; everything here is plain data in and out, and the
only output is files in the run folder.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from llmeval.analysis.cases import paired_outputs
from llmeval.analysis.summarize import summarize
from llmeval.config.settings import resolve_model
from llmeval.domain.model import ModelSpec
from llmeval.domain.project import Project
from llmeval.domain.request import Completion
from llmeval.engine.journal import Journal, compact, read_journal
from llmeval.engine.manifest import build_manifest, cost_fn, model_entries, prompt_loader
from llmeval.engine.observer import NullObserver, Observer
from llmeval.engine.plan import Key, Plan, build_plan
from llmeval.engine.postpass import PassBudget, compare_groups
from llmeval.engine.runner import Runner, RunOptions, RunOutcome
from llmeval.engine.services import EngineServices
from llmeval.engine.wiring import ProviderFactory, runner_pool
from llmeval.errors import UsageError
from llmeval.store.lock import run_lock
from llmeval.store.runs import RunStore, new_run_id


@dataclass
class Selection:
    """What to run; written to run.json before the first call, so --resume re-plans
    exactly the same work."""

    suites: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    filter: str | None = None
    repeat: int = 1
    shard: str | None = None  # "K/N": this run is one deterministic slice (engine/shard.py)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @property
    def is_default(self) -> bool:
        return self == Selection()

    def describe(self) -> str:
        parts = [*self.suites]
        parts += [f"-m {m}" for m in self.models]
        parts += [f"-t {t}" for t in self.tags]
        if self.filter:
            parts.append(f"--filter {self.filter}")
        if self.repeat != 1:
            parts.append(f"-k {self.repeat}")
        if self.shard:
            parts.append(f"--shard {self.shard}")
        return " ".join(parts) or "(all suites, default models)"


@dataclass
class RunConfig:
    selection: Selection
    run_id: str | None = None
    resume: str | None = None
    concurrency: int | None = None
    cache_mode: str = "use"
    max_cost_usd: float | None = None
    baseline_results: list[Any] | None = None  # pairwise judges against these outputs
    plan: Plan | None = None  # already built by the caller (not used on --resume)
    runs_dir: Path | None = None  # overrides paths.runs (the Python API's throwaway runs)
    batch: bool = False  # --batch: models with a batch API go through it (kept on --resume)


@dataclass
class RunReport:
    run_id: str
    run_dir: Path
    plan: Plan
    outcome: RunOutcome
    results: list[Any]
    manifest: dict[str, Any]
    not_run: int
    resumed: int = 0
    summary: Any = None  # analysis.summarize.RunSummary


def select_suites(project: Project, names: Sequence[str]) -> list[Any]:
    if not names:
        return list(project.suites.values())
    chosen = []
    for n in names:
        hit = project.suites.get(n) or next(
            (
                s
                for s in project.suites.values()
                if s.path == n or Path(s.path).stem == Path(n).stem
            ),
            None,
        )
        if hit is None:
            known = ", ".join(project.suites) or "none"
            raise UsageError(f"no suite '{n}' (known: {known})")
        chosen.append(hit)
    return chosen


def plan_for(project: Project, selection: Selection) -> Plan:
    """The plan of a selection: suites by name, then models, tags, filter and repeats
    (and, for ``--shard K/N``, this shard's slice of that whole plan)."""
    plan = build_plan(
        project,
        suites=select_suites(project, selection.suites),
        models=selection.models,
        tags=selection.tags,
        filter=selection.filter,
        repeat=selection.repeat,
    )
    if selection.shard:
        from llmeval.engine.shard import parse_shard, slice_plan

        plan = slice_plan(project, plan, *parse_shard(selection.shard))
    return plan


def make_services(
    project: Project,
    factory: ProviderFactory,
    cost: Callable[[ModelSpec, Completion], float | None] | None = None,
) -> EngineServices:
    return EngineServices(
        default_judge=project.settings.judge,
        resolve=lambda name: resolve_model(project.settings, name),
        provider_for=factory.get,
        embedder_for=factory.get_embedder,
        load_prompt=prompt_loader(project),
        cost=cost or cost_fn(),
    )


def execute(
    project: Project,
    cfg: RunConfig,
    *,
    observer: Observer | None = None,
    handle_signals: bool = True,
    provider_factory: ProviderFactory | None = None,
) -> RunReport:
    """Run ``cfg`` to its end on a new event loop (the CLI's entry point)."""
    return asyncio.run(
        execute_async(
            project,
            cfg,
            observer=observer,
            handle_signals=handle_signals,
            provider_factory=provider_factory,
        )
    )


async def execute_async(project: Project, cfg: RunConfig, **options: Any) -> RunReport:
    """Plan, run and journal ``cfg`` on the running event loop; write run.json. The run
    folder's lock is held throughout: a second process on the same run gets a
    UsageError (exit 4) instead of writing the same journal."""
    runs_dir = str(cfg.runs_dir) if cfg.runs_dir else project.settings.runs_dir
    store = RunStore(project.root, runs_dir)
    if not cfg.resume and not cfg.run_id:
        cfg = replace(cfg, run_id=new_run_id())
    run_dir = store.resolve(cfg.resume) if cfg.resume else store.run_dir(cfg.run_id or "")
    with run_lock(run_dir):
        return await _execute_locked(project, cfg, **options)


async def _execute_locked(
    project: Project,
    cfg: RunConfig,
    *,
    observer: Observer | None = None,
    handle_signals: bool = False,
    provider_factory: ProviderFactory | None = None,
) -> RunReport:
    observer = observer or NullObserver()
    settings = project.settings
    store = RunStore(project.root, str(cfg.runs_dir) if cfg.runs_dir else settings.runs_dir)
    selection = cfg.selection
    run_id = cfg.run_id or new_run_id()
    previous: dict[str, Any] = {}
    if cfg.resume:
        run_dir = store.resolve(cfg.resume)
        run_id = run_dir.name
        previous = store.read_manifest_at(run_dir)
        stored = previous.get("selection")
        if stored:
            original = Selection(**stored)
            if not selection.is_default and selection != original:
                raise UsageError(
                    f"--resume {run_id}: the run was started with {original.describe()}; "
                    f"resume it without selection flags (got {selection.describe()})"
                )
            selection = original
            cfg = replace(cfg, selection=original)  # what run.json records, again
        if previous.get("batch"):  # its batches are polled again, never resent live
            cfg = replace(cfg, batch=True)
    else:
        run_dir = store.run_dir(run_id)
        if (run_dir / "results.jsonl").exists() or (run_dir / "run.json").exists():
            raise UsageError(f"run '{run_id}' already exists; use --resume {run_id} to complete it")

    plan = cfg.plan if cfg.plan is not None and not cfg.resume else plan_for(project, selection)
    if not plan.items and plan.shard is None:  # an empty shard is still a (complete) shard
        return RunReport(run_id, run_dir, plan, RunOutcome(), [], {}, 0)
    planned_keys = {i.key for i in plan.items}
    original_keys = store.read_plan(run_dir) if cfg.resume else None
    if original_keys is not None:
        # a resume never runs anything outside the plan the run started with
        planned_keys &= original_keys
    started = time.time()
    base_manifest = build_manifest(
        project, plan, run_id, cfg, previous.get("started_at", started), {}, previous
    )
    if not cfg.resume or original_keys is None:
        store.write_plan(run_dir, planned_keys)
    # durable before the first call: a kill -9 at any moment leaves the selection
    store.write_manifest_at(run_dir, {**previous, **base_manifest, "status": "running"})
    for defn in {a.defn for i in plan.items for a in i.assertions}:
        if defn.warm is not None:
            defn.warm()  # heavy scorer libraries load now, not inside the first result
    cost = cost_fn()
    concurrency = cfg.concurrency or settings.concurrency
    factory = provider_factory or ProviderFactory(
        project, cache_mode=cfg.cache_mode, concurrency=concurrency, batch=cfg.batch,
        run_dir=run_dir,
    )  # fmt: skip
    providers = {alias: factory.get(spec) for alias, spec in plan.models.items()}
    factory.warm()
    watch = getattr(observer, "watch_limits", None)
    if callable(watch):  # the progress display shows adaptive concurrency and limit waits
        watch(factory.stats)

    services = make_services(project, factory, cost)
    journal = Journal(run_dir / "results.jsonl")
    unreadable: list[int] = []
    done_results = read_journal(journal.path, unreadable)
    if unreadable:  # an edited or damaged journal: those results run again, said aloud
        observer.on_notice(
            f"{journal.path}: {len(unreadable)} unreadable line"
            f"{'s' if len(unreadable) > 1 else ''} (first: line {unreadable[0]}) skipped;"
            " their results run again"
        )
    # errored results are retried on resume: the cache makes any paid answer free to reuse
    done: set[Key] = {r.key for r in done_results if r.key in planned_keys and r.status != "error"}
    outside = {i.key for i in plan.items} - planned_keys  # added to the suites since the start
    runner = Runner(
        plan,
        providers,
        journal,
        observer,
        RunOptions(
            run_id=run_id,
            concurrency=concurrency,
            workers=runner_pool(providers.values(), concurrency, len(plan.items)),
            local_timeout_s=settings.timeout_s,
            max_cost_usd=cfg.max_cost_usd,  # caps what this invocation spends
        ),
        services_for=lambda item: services.for_item(),
        cost=cost,
        estimate=factory.estimator() if cfg.max_cost_usd is not None else None,
        hold=factory.comparison_estimator() if cfg.max_cost_usd is not None else None,
        baseline_outputs=(
            paired_outputs(cfg.baseline_results, {k[:4] for k in planned_keys})
            if cfg.baseline_results
            else None
        ),
    )
    observer.on_start(len(plan.items), len(done))

    async def main() -> RunOutcome:
        stop, abandon = asyncio.Event(), asyncio.Event()
        loop = asyncio.get_running_loop()
        installed = []
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                try:
                    loop.add_signal_handler(sig, _on_signal, stop, abandon, observer)
                    installed.append(sig)
                except (NotImplementedError, RuntimeError):
                    pass
        try:
            outcome = await runner.run(done | outside, stop, abandon)
            limit = cfg.max_cost_usd
            budget = None if limit is None else PassBudget(limit, factory.comparison_estimator())
            await compare_groups(plan, planned_keys, journal.path, services, outcome, budget)
            return outcome
        finally:
            for sig in installed:
                loop.remove_signal_handler(sig)
            await factory.aclose()

    try:
        outcome = await main()
    finally:
        journal.close()
        observer.on_finish()
    if done_results:  # only a resumed journal can hold a superseded line
        compact(journal.path)
    results = [r for r in read_journal(journal.path) if r.key in planned_keys]
    model_ids: dict[str, set[str]] = {}
    for r in results:
        if r.model_id:
            model_ids.setdefault(r.model, set()).add(r.model_id)
    finished_keys = {r.key for r in results}
    missing = Counter((k[0], k[2], k[3]) for k in planned_keys - finished_keys)
    # the start's manifest (git sha, fingerprints: same plan), now with the model ids
    manifest = {**base_manifest, "models": model_entries(plan, model_ids)}
    manifest.update(
        finished_at=time.time(),
        duration_s=round(time.time() - started, 3),
        resumed_from=cfg.resume is not None,
        status=outcome.stop_reason or ("complete" if not missing else "incomplete"),
        counts={
            "planned": len(planned_keys),
            "finished": len(finished_keys),
            "not_run": sum(missing.values()),
            "this_invocation": outcome.finished,
            "resumed_done": len(done),
            "redactions": outcome.redactions,  # PII values replaced before sending
            "input_too_long": len(plan.over_limit),
        },
        spent_usd=round(outcome.spent_usd + previous.get("spent_usd", 0.0), 8),
        stopped_models=outcome.dead_models,
        cache=factory.stats(),
    )
    summary = summarize(
        results,
        min_pass_rates={s.name: s.min_pass_rate for s in plan.suites},
        not_run=dict(missing),
        derived={s.name: s.derived_metrics for s in plan.suites if s.derived_metrics},
    )
    manifest["summary"] = summary.to_json()
    store.write_manifest_at(run_dir, manifest)
    return RunReport(
        run_id,
        run_dir,
        plan,
        outcome,
        results,
        manifest,
        sum(missing.values()),
        len(done),
        summary,
    )


def _on_signal(stop: asyncio.Event, abandon: asyncio.Event, observer: Observer) -> None:
    if stop.is_set():
        abandon.set()  # second Ctrl-C: cancel the calls in flight too
        return
    stop.set()
    observer.on_notice("stopping: finishing the calls in flight (Ctrl-C again to abandon them)")
