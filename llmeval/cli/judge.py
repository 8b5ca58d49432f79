"""``llmeval judge calibrate``: how far to trust the judge, measured on human labels."""

from __future__ import annotations

from pathlib import Path

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT
from llmeval.text import clip, visible

judge_app = typer.Typer(help="The LLM judge.", no_args_is_help=True)
app.add_typer(judge_app, name="judge")


@judge_app.command("calibrate")
def calibrate(
    labels: Path = typer.Argument(..., help="JSONL of {output, rubric|assert, label: pass|fail}."),
    model: str = typer.Option(None, "--model", "-m", help="Judge model (default: defaults.judge)."),
    cache_mode: str = typer.Option("use", "--cache-mode", help="use | refresh | off | replay"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Run the judge on human-labelled examples: agreement, Cohen's kappa, confusion matrix."""
    import asyncio

    with output.errors_to_exit():
        from llmeval.cli.project import load
        from llmeval.engine.session import make_services
        from llmeval.engine.wiring import ProviderFactory
        from llmeval.judge.calibrate import run_calibration

        project = load(project_dir)
        factory = ProviderFactory(project, cache_mode=cache_mode)
        services = make_services(project, factory).for_item()
        judge_model = model or project.settings.judge
        if not judge_model:
            from llmeval.errors import UsageError

            raise UsageError("no judge model: pass -m MODEL or set defaults.judge in llmeval.yaml")

        async def go():  # type: ignore[no-untyped-def]
            try:
                return await run_calibration(labels, services, judge_model)
            finally:
                await factory.aclose()

        rep = asyncio.run(go())
        data = rep.to_json()
        scored = (data.get("n") or 0) - (data.get("unscored") or 0)
        if as_json:
            from llmeval.cli.run import emit_json

            emit_json(data)
            if not scored:
                raise typer.Exit(3)
            return
        cm = data.get("confusion_matrix") or [[0, 0], [0, 0]]
        typer.echo(f"judge {rep.judge or '?'} on {data.get('n')} labelled examples ({labels})")
        kappa = data.get("kappa")
        agreement = data.get("agreement")
        typer.echo(
            f"agreement {agreement:.3f} · Cohen's kappa "
            f"{'n/a' if kappa is None else f'{kappa:.3f}'} · unscored {data.get('unscored', 0)}"
            if agreement is not None
            else "no example could be scored"
        )
        typer.echo("                judge pass  judge fail")
        typer.echo(f"  human pass    {cm[0][0]:>10}  {cm[0][1]:>10}")
        typer.echo(f"  human fail    {cm[1][0]:>10}  {cm[1][1]:>10}")
        for item in rep.disagreements[:10]:
            typer.echo(
                f"  disagrees: line {item.example.location.line if item.example.location else '?'}: "
                + clip(visible(item.score.reason), 100)
            )
        if not scored:
            reasons = {i.score.reason or i.score.error or "" for i in rep.items}
            output.err(
                "no example could be scored: "
                + clip(visible("; ".join(sorted(r for r in reasons if r))), 300)
            )
            raise typer.Exit(3)
