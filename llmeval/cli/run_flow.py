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
) -> int:
    from llmeval.engine.session import RunConfig, Selection, execute

    project = load(project_dir, only=suites)
    selection = Selection(suites, models, tags, filter, repeat)
    cfg = RunConfig(
        selection=selection,
        run_id=run_id,
        resume=resume,
        concurrency=concurrency,
        cache_mode=cache_mode,
        max_cost_usd=max_cost,
    )
    if dry_run:
        from llmeval.cli.dry_run import show_plan

        return show_plan(project, cfg, as_json=as_json)

    from llmeval.cli.gating import load_baselines

    baselines = load_baselines(project, baseline, suites) if baseline else None
    if baseline == "auto" and baselines is None:
        output.err("note: no committed baseline for these suites; gating on min_pass_rate only")
    if baselines is not None and not allow_changed and not resume:
        from llmeval.cli.gating import check_comparable
        from llmeval.engine.session import plan_for

        cfg.plan = plan_for(project, selection)  # built once, reused by the run
        check_comparable(project, cfg.plan, baselines)  # before any call, not after paying
    if baselines is not None:
        cfg.baseline_outputs = baselines.outputs()

    from llmeval.cli.progress import ProgressObserver

    observer = ProgressObserver(interactive=not output.is_ci() and not as_json, quiet=quiet)
    report = execute(project, cfg, observer=observer)
    if not report.plan.items:
        output.err("nothing selected: no case matches the given suites, models, tags or filter")
        return exits.NOTHING

    from llmeval.cli.gating import gate_run

    gate, comparison = gate_run(project, report, baselines, allow_changed=allow_changed)
    report.manifest["gate"] = gate
    from llmeval.store.runs import RunStore

    RunStore(project.root, project.settings.runs_dir).write_manifest(report.run_id, report.manifest)

    written = _write_outputs(project, report, gate, comparison, junit, markdown, html, no_report)
    code = exit_code(report, gate)
    if as_json:
        from llmeval.cli.run import emit_json

        emit_json(
            {
                "run_id": report.run_id,
                "exit_code": code,
                "status": report.manifest.get("status"),
                "gate": gate,
                "counts": report.manifest.get("counts"),
                "error_kinds": dict(Counter(r.error.kind for r in report.results if r.error)),
                "summary": report.manifest["summary"],
                "comparison": comparison,
                "files": {k: str(v) for k, v in written.items()},
            }
        )
    else:
        from llmeval.cli.show import print_run

        print_run(report, gate, comparison, observer.notices, written, code)
    return code


def exit_code(report: Any, gate: dict[str, Any]) -> int:
    if report.outcome.stop_reason == "interrupted":
        return exits.INTERRUPTED
    if gate.get("incomplete"):
        return exits.INCOMPLETE
    return exits.OK if gate.get("passed") else exits.GATE_FAILED


def _write_outputs(
    project: Any,
    report: Any,
    gate: dict[str, Any],
    comparison: dict[str, Any] | None,
    junit: Path | None,
    markdown: Path | None,
    html: Path | None,
    no_report: bool,
) -> dict[str, Path]:
    from llmeval.store.runs import atomic_write

    written: dict[str, Path] = {"journal": report.run_dir / "results.jsonl"}
    if not no_report or html:
        from llmeval.report.html import render_html

        page = render_html(report.results, report.manifest, comparison=comparison, gate=gate)
        reports = project.root / project.settings.reports_dir
        targets = [html] if html else []
        if not no_report:
            targets += [reports / f"{report.run_id}.html", reports / "latest.html"]
        for t in targets:
            atomic_write(Path(t), page)
        written["report"] = Path(targets[0]) if html else reports / f"{report.run_id}.html"
    if markdown:
        from llmeval.report.markdown import render_markdown

        atomic_write(
            markdown,
            render_markdown(comparison, report.manifest["summary"], gate, results=report.results),
        )
        written["markdown"] = markdown
    if junit:
        from llmeval.report.junit import render_junit

        atomic_write(junit, render_junit(report.results))
        written["junit"] = junit
    return written
