"""The steps of ``llmeval run`` after parsing: load, plan, execute, gate, write, print."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from llmeval.cli import exits, output
from llmeval.cli.project import load


def run(
    *,
    project_dir: Path | None,
    suites: list[str],
    models: list[str],
    concurrency: int | None,
    repeat: int,
    run_id: str | None,
    resume: str | None,
    cache_mode: str,
    max_cost: float | None,
    dry_run: bool,
    baseline: str | None,
    allow_changed: bool,
    junit: Path | None,
    markdown: Path | None,
    html: Path | None,
    no_report: bool,
    as_json: bool,
    filter: str | None,
    tags: list[str],
    quiet: bool,
    allow_skipped: bool = False,
    batch: bool = False,
    shard: str | None = None,
    workers: int | None = None,
) -> int:
    from llmeval.cli.shard_run import check_outputs
    from llmeval.engine.session import RunConfig, Selection, execute

    shard = check_outputs(shard, junit=junit, markdown=markdown, html=html)
    project = load(project_dir, only=suites)
    selection = Selection(suites, models, tags, filter, repeat, shard)
    cfg = RunConfig(
        selection=selection,
        run_id=run_id,
        resume=resume,
        concurrency=concurrency,
        cache_mode=cache_mode,
        max_cost_usd=max_cost,
        batch=batch,
    )
    if dry_run:
        from llmeval.cli.dry_run import show_plan

        return show_plan(project, cfg, as_json=as_json, workers=_workers_why(project, cfg, workers))

    from llmeval.store.project import ProjectStore

    store = ProjectStore(project.root, project.settings)
    names = suites or list(project.suites)
    baselines = store.load_baselines(baseline, names) if baseline else None
    if baseline == "auto" and baselines is None:
        output.err("note: no committed baseline for these suites; gating on min_pass_rate only")
    if baselines is not None and not allow_changed and not resume:
        from llmeval.engine.gating import check_comparable
        from llmeval.engine.session import plan_for

        cfg.plan = plan_for(project, selection)  # built once, reused by the run
        check_comparable(project, cfg.plan, baselines)  # before any call, not after paying
    if baselines is not None:
        cfg.baseline_results = baselines.results

    from llmeval.cli.progress import ProgressObserver

    observer = ProgressObserver(interactive=not output.is_ci() and not as_json, quiet=quiet)
    n = _workers(project, cfg, workers)
    if n > 1:
        from llmeval.engine.segments import execute_workers

        report = execute_workers(project, cfg, n, baseline=baseline, observer=observer)
    else:
        report = execute(project, cfg, observer=observer)
    if report.plan.shard is not None:  # a slice: recorded, not gated (`llmeval merge` gates)
        from llmeval.cli.shard_run import finish_shard

        return finish_shard(report, as_json=as_json)
    if not report.plan.items:
        from llmeval.cli.project import why_nothing

        output.err(f"nothing selected: {why_nothing(project, selection)}")
        return exits.NOTHING

    from llmeval.engine.gating import gate_run

    verdict, comparison = gate_run(
        project, report, baselines, allow_changed=allow_changed, allow_skipped=allow_skipped
    )
    written = _write_outputs(store, report, verdict, comparison, junit, markdown, html, no_report)
    show_outcome(report, verdict, written, as_json=as_json, notices=observer.notices)
    return int(verdict.exit_code)


def show_outcome(
    report: Any,
    verdict: Any,
    written: dict[str, Path],
    *,
    as_json: bool,
    notices: list[str],
    extra: dict[str, Any] | None = None,
) -> None:
    """The end of `run` and `merge`: the `--json` object, or the console's summary."""
    if as_json:
        from llmeval.cli.run import emit_json

        emit_json(
            {
                "run_id": report.run_id,
                "exit_code": verdict.exit_code,
                "status": report.manifest.get("status"),
                "verdict": verdict.to_json(),
                **(extra or {}),
                "counts": report.manifest.get("counts"),
                "error_kinds": dict(Counter(r.error.kind for r in report.results if r.error)),
                "summary": report.manifest["summary"],
                "comparison": report.manifest.get("comparison"),
                "files": {k: str(v) for k, v in written.items()},
            }
        )
    else:
        from llmeval.cli.show import print_run

        print_run(report, verdict, report.manifest.get("comparison"), notices, written)


def _workers(project: Any, cfg: Any, requested: int | None) -> int:
    return _workers_why(project, cfg, requested)[0]


def _workers_why(project: Any, cfg: Any, requested: int | None) -> tuple[int, str]:
    """How many processes and why: a resumed workers run keeps its N; a shard is one
    process; else ``--workers``, or the default rule (``engine.workers``)."""
    from llmeval.engine.segments import workers_of

    kept = workers_of(project, cfg)
    if kept is not None:
        return kept, "kept by the run being resumed"
    if cfg.resume:
        return 1, "a one-process run resumes in one process"
    if cfg.selection.shard:
        if requested and requested > 1:
            from llmeval.errors import UsageError

            raise UsageError("--workers and --shard: run each shard in one process")
        return 1, "a shard runs in one process"
    if cfg.batch:
        if requested and requested > 1:
            from llmeval.errors import UsageError

            # a batch run waits on the provider, not on CPU: one process fills the batches
            raise UsageError("--workers and --batch: a batch run uses one process")
        return 1, "a batch run uses one process"
    if requested is not None:
        return requested, "--workers"
    import os

    from llmeval.engine.session import plan_for
    from llmeval.engine.workers import default_workers_why

    if cfg.plan is None:
        cfg.plan = plan_for(project, cfg.selection)  # built once, reused by the run
    return default_workers_why(cfg.plan, os.cpu_count())


def _write_outputs(
    store: Any,
    report: Any,
    verdict: Any,
    comparison: Any,
    junit: Path | None,
    markdown: Path | None,
    html: Path | None,
    no_report: bool,
) -> dict[str, Path]:
    from llmeval.store.runs import atomic_write

    written: dict[str, Path] = {"journal": report.run_dir / "results.jsonl"}
    cmp_json = comparison.to_json() if comparison is not None else None
    if not no_report or html:
        from llmeval.report.html import render_html

        page = render_html(report.results, report.manifest, comparison=cmp_json, verdict=verdict)
        targets = [html] if html else []
        if not no_report:
            targets += [store.report_path(report.run_id), store.latest_report()]
        for t in targets:
            atomic_write(Path(t), page)
        written["report"] = Path(targets[0])
    if markdown:
        from llmeval.report.markdown import render_markdown

        atomic_write(
            markdown,
            render_markdown(cmp_json, report.summary, verdict, results=report.results),
        )
        written["markdown"] = markdown
    if junit:
        from llmeval.report.junit import render_junit

        atomic_write(junit, render_junit(report.results, verdict))
        written["junit"] = junit
    return written
