"""``llmeval diff BASE CAND``: paired comparison of two runs, or a baseline and a run."""

from __future__ import annotations

from pathlib import Path

import typer

from llmeval.cli import exits, output
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
    with output.errors_to_exit():
        from llmeval.analysis.changes import IncomparableError
        from llmeval.analysis.diff import compare
        from llmeval.analysis.gate import decide
        from llmeval.cli.gating import load_ref
        from llmeval.cli.project import root_of
        from llmeval.config.settings import load_settings
        from llmeval.errors import UsageError
        from llmeval.store.runs import atomic_write

        root = root_of(project_dir)
        settings = load_settings(root)
        b_results, b_meta, b_label = load_ref(_Project(root, settings), base)
        c_results, c_meta, c_label = load_ref(_Project(root, settings), cand)
        from llmeval.analysis.changes import without_changed

        case_notes: list[str] = []
        if not allow_changed_judge:  # the flag means: compare everything as it is
            b_results, case_notes = without_changed(b_results, b_meta, c_meta)
        try:
            comparison = compare(
                b_results,
                c_results,
                b_meta,
                c_meta,
                allow_changed_judge=allow_changed_judge,
                seed=seed,
                alpha=settings.gate.alpha,
            )
        except IncomparableError as e:
            raise UsageError(str(e)) from None
        paired = [c for c in comparison.cases if c.change not in ("new", "removed")]
        if not paired:
            raise UsageError(
                f"nothing to compare: {b_label} and {c_label} share no case "
                "(same suite, case id, model and prompt name)"
            )
        groups = (c_meta.get("summary") or {}).get("groups") or []
        gate = decide(comparison, groups, settings.gate, {})
        data = comparison.with_gate(gate).to_json()
        data["changes"] = list(data.get("changes") or []) + case_notes
        data["base"]["label"] = data["base"].get("label") or b_label
        data["cand"]["label"] = data["cand"].get("label") or c_label
        if markdown:
            from llmeval.report.markdown import render_markdown

            atomic_write(markdown, render_markdown(data, c_meta.get("summary"), gate.to_json()))
        if html:
            from llmeval.report.html import render_html

            atomic_write(html, render_html(c_results, c_meta, comparison=data, gate=gate.to_json()))
        if as_json:
            from llmeval.cli.run import emit_json

            emit_json(data)
        else:
            _print(data)
        raise typer.Exit(exits.OK if gate.passed else exits.GATE_FAILED)


class _Project:
    """Just enough of a Project for load_ref (diff needs no suites)."""

    def __init__(self, root: Path, settings: object) -> None:
        self.root = root
        self.settings = settings


def _print(data: dict) -> None:  # type: ignore[type-arg]
    import sys

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    con = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    gate = data["gate"]
    verdict = "[bold green]PASSED[/]" if gate["passed"] else "[bold red]FAILED[/]"
    con.print(
        f"{verdict} {escape(data['cand'].get('label') or '')} vs {escape(data['base'].get('label') or '')}"
    )
    for r in gate["reasons"]:
        con.print(f"  [red]•[/] {escape(r)}")
    for c in data.get("changes", []):
        con.print(f"[cyan]changed:[/] {escape(c)}")
    t = Table(title="metrics (paired)", title_justify="left")
    for col in (
        "suite",
        "model",
        "prompt",
        "metric",
        "n",
        "base",
        "cand",
        "Δ [95% CI]",
        "p (Holm)",
    ):
        t.add_column(
            col, justify="left" if col in ("suite", "model", "prompt", "metric") else "right"
        )
    for m in data.get("metrics", []):
        style = (
            "red"
            if m.get("significant") and m["delta"] < 0
            else ("green" if m.get("significant") else "")
        )
        delta = f"{m['delta']:+.3f} [{m['ci_low']:+.3f}, {m['ci_high']:+.3f}]"
        t.add_row(
            escape(m["suite"]),
            escape(m["model"]),
            escape(m["prompt"]),
            escape(m["metric"]),
            str(m["n"]),
            f"{m['base_mean']:.3f}",
            f"{m['cand_mean']:.3f}",
            f"[{style}]{delta}[/]" if style else delta,
            f"{m.get('p_adjusted', m.get('p_value', 1)):.3g}",
        )
    con.print(t)
    counts = data.get("counts", {})
    con.print("  ".join(f"{k}: {v}" for k, v in counts.items()))
    for c in data.get("cases", []):
        if c["change"] in ("regressed", "fixed", "flaky", "new", "removed", "errored"):
            mark = {"regressed": "[red]↓[/]", "fixed": "[green]↑[/]"}.get(c["change"], "·")
            con.print(
                f" {mark} {c['change']:<9} {escape(c['suite'])}/{escape(c['case_id'])} "
                f"[{escape(c['model'])} {escape(c['prompt'])}]",
                no_wrap=True,
                overflow="ellipsis",
            )
