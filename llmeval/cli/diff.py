"""``llmeval diff BASE CAND``: paired comparison of two runs, or a baseline and a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT


@app.command()
def diff(
    base: str = typer.Argument(..., help="Baseline file, run id, 'latest' or run folder."),
    cand: str = typer.Argument("latest", help="Candidate run (default: latest)."),
    allow_changed_judge: bool = typer.Option(
        False, "--allow-changed-judge", help="Compare even if the judge or assertions changed."
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable comparison on stdout."),
    markdown: Path = typer.Option(None, "--markdown", help="Write a markdown summary here."),
    html: Path = typer.Option(None, "--html", help="Write a comparison report here."),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed (reproducible intervals)."),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Regressions, fixes, flaky cases and significance; exits 1 if the gate fails."""
    with output.errors_to_exit(json_errors=as_json):
        from llmeval.cli.project import root_of
        from llmeval.config.settings import load_settings
        from llmeval.engine.gating import compare_with, judge
        from llmeval.store.project import ProjectStore
        from llmeval.store.runs import atomic_write

        root = root_of(project_dir, required=False)
        settings = load_settings(root)
        store = ProjectStore(root, settings)
        b = store.load_ref(base)
        c = store.load_ref(cand)
        comparison = compare_with(
            b,
            c.results,
            c.meta,
            allow_changed=allow_changed_judge,
            alpha=settings.gate.alpha,
            seed=seed,
        )
        # the candidate is judged by the policies it ran with: the same verdict as
        # `run --baseline` gave it
        verdict = judge(c.results, c.meta, comparison, baseline=b.label)
        data = comparison.to_json()
        data["base"]["label"] = data["base"].get("label") or b.label
        data["cand"]["label"] = data["cand"].get("label") or c.label
        data["verdict"] = verdict.to_json()
        if markdown:
            from llmeval.report.markdown import render_markdown

            atomic_write(
                markdown,
                render_markdown(data, c.meta.get("summary"), verdict, results=c.results),
            )
        if html:
            from llmeval.report.html import render_html

            atomic_write(html, render_html(c.results, c.meta, comparison=data, verdict=verdict))
        if as_json:
            from llmeval.cli.run import emit_json

            emit_json(data)
        else:
            _print(data, verdict, c.results)
        raise typer.Exit(verdict.exit_code)


def _print(data: dict, verdict: Any, results: Any) -> None:  # type: ignore[type-arg]
    from llmeval.report.console_diff import diff_view

    con = output.console()
    for part in diff_view(data, verdict, results, con.width):
        con.print(part)
