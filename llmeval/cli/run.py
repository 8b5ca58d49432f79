"""``llmeval run``."""

from __future__ import annotations

import json
import sys
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
from llmeval.cli.project import PROJECT_OPT, complete_models, complete_suites


@app.command()
def run(
    suites: list[str] = typer.Argument(
        None, help="Suite names or files (default: all).", autocompletion=complete_suites
    ),
    model: list[str] = typer.Option(
        None,
        "--model",
        "-m",
        metavar="MODEL",
        autocompletion=complete_models,
        help="Model alias or provider:model; repeatable. Overrides suites.",
    ),
    concurrency: int = typer.Option(
        None, "--concurrency", "-j", min=1, metavar="N", help="Parallel calls."
    ),
    repeat: int = typer.Option(
        1, "--repeat", "-k", min=1, metavar="K", help="Sample each case K times."
    ),
    run_id: str = typer.Option(
        None, "--run-id", metavar="ID", help="Name the run (default: timestamp)."
    ),
    resume: str = typer.Option(
        None, "--resume", metavar="RUN", help="Complete an interrupted run."
    ),
    cache_mode: str = typer.Option(
        "use",
        "--cache-mode",
        metavar="MODE",
        help="use | refresh | off | replay (never call a provider).",
    ),
    max_cost: float = typer.Option(
        None, "--max-cost", min=0, metavar="USD", help="Stop cleanly before this run spends more."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the plan and cost; call nothing."),
    batch: bool = typer.Option(
        False, "--batch", help="Send through the providers' batch APIs (half price, slower)."
    ),
    baseline: str = BASELINE_OPT,
    allow_changed: bool = ALLOW_CHANGED_OPT,
    allow_skipped: bool = ALLOW_SKIPPED_OPT,
    junit: Path = JUNIT_OPT,
    markdown: Path = MARKDOWN_OPT,
    html: Path = HTML_OPT,
    no_report: bool = NO_REPORT_OPT,
    as_json: bool = JSON_OPT,
    filter: str = typer.Option(
        None, "--filter", metavar="REGEX", help="Regex on case id or description."
    ),
    tag: list[str] = typer.Option(
        None, "--tag", "-t", metavar="TAG", help="Only cases with this tag."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    shard: str = typer.Option(
        None,
        "--shard",
        metavar="K/N",
        help="Run slice K of N (by a hash of suite and case id); `llmeval merge` gates them.",
    ),
    workers: int = typer.Option(
        None,
        "--workers",
        min=1,
        metavar="N",
        help="Run in N processes sharing the cache; limits and --max-cost are split "
        "between them (default 1; more only for >= 4,000 python-target results).",
    ),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Run suites against models, score them, journal every result, and gate."""
    with output.errors_to_exit(json_errors=as_json):
        if cache_mode not in ("use", "refresh", "off", "replay"):
            from llmeval.errors import UsageError

            raise UsageError(
                f"--cache-mode must be use, refresh, off or replay, not '{cache_mode}'"
            )
        from llmeval.cli import run_flow

        code = run_flow.run(
            project_dir=project_dir,
            suites=suites or [],
            models=model or [],
            concurrency=concurrency,
            repeat=repeat,
            run_id=run_id,
            resume=resume,
            cache_mode=cache_mode,
            max_cost=max_cost,
            dry_run=dry_run,
            batch=batch,
            baseline=baseline,
            allow_changed=allow_changed,
            allow_skipped=allow_skipped,
            junit=junit,
            markdown=markdown,
            html=html,
            no_report=no_report,
            as_json=as_json,
            filter=filter,
            tags=tag or [],
            quiet=quiet,
            shard=shard,
            workers=workers,
        )
        raise typer.Exit(code)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


__all__ = ["emit_json", "exits", "run"]
