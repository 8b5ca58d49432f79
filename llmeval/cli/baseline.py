"""``llmeval baseline save``: promote a run to the committed baseline of its suites."""

from __future__ import annotations

from pathlib import Path

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT

baseline_app = typer.Typer(
    help="Committed baselines the CI gate compares with.", no_args_is_help=True
)
app.add_typer(baseline_app, name="baseline")


@baseline_app.command("save")
def save(
    run: str = typer.Argument("latest", help="Run id, prefix, 'latest' or run folder."),
    suite: list[str] = typer.Option(None, "--suite", "-s", help="Only these suites."),
    force: bool = typer.Option(
        False, "--force", help="Save even if the run is incomplete or has errors."
    ),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Write suites/baselines/<suite>.json from a run (sorted, stable, reviewable)."""
    with output.errors_to_exit():
        from llmeval.cli.project import project_store
        from llmeval.errors import UsageError
        from llmeval.store.baselines import save_baseline

        store = project_store(project_dir)
        root = store.root
        stored = store.load_run(run)
        run_dir, results, meta = stored.run_dir, stored.results, stored.meta
        counts = meta.get("counts") or {}
        if counts.get("not_run") and not force:
            raise UsageError(
                f"run {run_dir.name} is incomplete ({counts['not_run']} not run); "
                f"finish it with --resume {run_dir.name} or pass --force"
            )
        if not results:
            raise UsageError(f"run {run_dir.name} has no results to save")
        errors = sum(1 for r in results if r.status == "error")
        if errors and not force:
            raise UsageError(
                f"run {run_dir.name} has {errors} errored results; a baseline should record "
                f"answers (fix and --resume {run_dir.name}, or pass --force)"
            )
        suites = sorted({r.suite for r in results})
        chosen = suite or suites
        unknown = sorted(set(chosen) - set(suites))
        if unknown:
            raise UsageError(f"run {run_dir.name} has no results for: {', '.join(unknown)}")
        for name in chosen:
            path = save_baseline(results, meta, name, root, suites_dir=store.settings.suites_dir)
            n = sum(1 for r in results if r.suite == name)
            typer.echo(f"saved {path.relative_to(root)} ({n} results from run {run_dir.name})")
