"""``llmeval merge``: shard runs → one run folder, one report, one verdict.

The verdict is ``engine.gating.gate_run``'s, called as ``llmeval run`` calls it, on the
combined journal and manifest, so a merged run gates exactly as the unsharded run would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from llmeval.cli import exits, output
from llmeval.cli.app import app
from llmeval.cli.options import (
    ALLOW_CHANGED_OPT,
    ALLOW_SKIPPED_OPT,
    BASELINE_OPT,
    HTML_OPT,
    JSON_OPT,
    JUNIT_OPT,
    MARKDOWN_OPT,
    NO_REPORT_OPT,
)
from llmeval.cli.project import PROJECT_OPT


@app.command()
def merge(
    runs: list[str] = typer.Argument(
        ..., help="Shard run folders (anywhere, e.g. CI artifacts), folders of them, or run ids."
    ),
    run_id: str = typer.Option(
        None, "--run-id", metavar="ID", help="Name the merged run (default: timestamp)."
    ),
    baseline: str = BASELINE_OPT,
    allow_changed: bool = ALLOW_CHANGED_OPT,
    allow_skipped: bool = ALLOW_SKIPPED_OPT,
    junit: Path = JUNIT_OPT,
    markdown: Path = MARKDOWN_OPT,
    html: Path = HTML_OPT,
    no_report: bool = NO_REPORT_OPT,
    as_json: bool = JSON_OPT,
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Merge the shards of one run (`llmeval run --shard K/N`) and gate them as one run."""
    with output.errors_to_exit(json_errors=as_json):
        code = merge_runs(
            runs,
            run_id=run_id,
            baseline=baseline,
            allow_changed=allow_changed,
            allow_skipped=allow_skipped,
            junit=junit,
            markdown=markdown,
            html=html,
            no_report=no_report,
            as_json=as_json,
            project_dir=project_dir,
        )
        raise typer.Exit(code)


def merge_runs(
    refs: list[str],
    *,
    run_id: str | None,
    baseline: str | None,
    allow_changed: bool,
    allow_skipped: bool,
    junit: Path | None,
    markdown: Path | None,
    html: Path | None,
    no_report: bool,
    as_json: bool,
    project_dir: Path | None,
) -> int:
    from llmeval.cli.project import project_store
    from llmeval.store.merge import combine, find_runs, load_shards

    store = project_store(project_dir)
    shards = load_shards(find_runs(refs, store.runs))  # refusals come before any write
    from llmeval.store.runs import new_run_id

    run_id = run_id or new_run_id()
    merged = combine(shards, run_id)
    planned = set().union(*(s.planned for s in shards)) if not merged.missing else None
    project, report, baselines = _write_merged(project_dir, store, merged, planned, baseline)
    from llmeval.engine.gating import gate_run

    verdict, comparison = gate_run(
        project, report, baselines, allow_changed=allow_changed, allow_skipped=allow_skipped
    )
    from llmeval.cli.run_flow import _write_outputs, show_outcome

    written = _write_outputs(store, report, verdict, comparison, junit, markdown, html, no_report)
    for s in shards if not as_json else ():
        if s.unreadable:  # e.g. an artifact cut short or edited: say so, never silently
            lines = ", ".join(map(str, s.unreadable[:5])) + (
                ", ..." if len(s.unreadable) > 5 else ""
            )
            output.err(
                f"note: {s.run_dir / 'results.jsonl'}: {len(s.unreadable)} unreadable "
                f"line{'s' if len(s.unreadable) > 1 else ''} ({lines}) skipped: their results "
                "count as not run"
            )
    if merged.missing and not as_json:
        output.err(
            f"note: missing shard{'s' if len(merged.missing) > 1 else ''} "
            f"{', '.join(merged.missing)}: their {merged.not_run} results are not run "
            "(run them and merge again)"
        )
    show_outcome(
        report, verdict, written, as_json=as_json, notices=[],
        extra={"missing_shards": merged.missing},
    )  # fmt: skip
    return int(verdict.exit_code)


def _write_merged(
    project_dir: Path | None,
    store: Any,
    merged: Any,
    planned: set[Any] | None,
    baseline: str | None,
) -> tuple[Any, Any, Any]:
    """Write the merged run folder (journal, plan, run.json) under the run lock; load the
    baselines. Returns the project, a run report shaped as ``execute`` returns one, and
    the baselines.

    The plan (every shard's planned keys) is written only when no shard is missing:
    without it, ``llmeval run --resume`` of the merged run plans the whole selection
    again and runs what the missing shards would have."""
    from llmeval.analysis.summarize import summarize
    from llmeval.cli.project import load
    from llmeval.engine.plan import Plan
    from llmeval.engine.runner import RunOutcome
    from llmeval.engine.session import RunReport
    from llmeval.errors import UsageError
    from llmeval.store.lock import run_lock
    from llmeval.store.merge import journal_text
    from llmeval.store.runs import JOURNAL, atomic_write, write_json

    manifest = merged.manifest
    names = list((manifest.get("selection") or {}).get("suites") or [])
    project = load(project_dir, only=names)
    suites = []
    for name in manifest.get("suites") or {}:
        suite = project.suites.get(name)
        if suite is None:
            raise UsageError(f"merge: the shards ran suite '{name}', which this project lacks")
        suites.append(suite)
    baselines = store.load_baselines(baseline, list(manifest["suites"])) if baseline else None
    if baseline == "auto" and baselines is None:
        output.err("note: no committed baseline for these suites; gating on min_pass_rate only")

    run_dir = store.runs.run_dir(manifest["run_id"])
    with run_lock(run_dir):
        if (run_dir / JOURNAL).exists() or (run_dir / "run.json").exists():
            raise UsageError(
                f"run '{manifest['run_id']}' already exists; merge into a new --run-id"
            )
        atomic_write(run_dir / JOURNAL, journal_text(merged.results))
        if planned is not None:
            store.runs.write_plan(run_dir, planned)
        min_rates = {n: (s or {}).get("min_pass_rate") for n, s in manifest["suites"].items()}
        summary = summarize(
            merged.results, min_pass_rates=min_rates, not_run=merged.not_run_by_group
        )
        manifest["summary"] = summary.to_json()
        write_json(run_dir / "run.json", manifest)
    stop = manifest["status"] if manifest["status"] in ("interrupted", "budget") else None
    if stop is None and merged.missing:  # the verdict's "N results not run (...)" names them
        stop = f"missing shard{'s' if len(merged.missing) > 1 else ''} {', '.join(merged.missing)}"
    report = RunReport(
        manifest["run_id"],
        run_dir,
        Plan((), tuple(suites), {}),
        RunOutcome(stop_reason=stop),
        merged.results,
        manifest,
        merged.not_run,
        summary=summary,
    )
    return project, report, baselines


__all__ = ["exits", "merge"]
