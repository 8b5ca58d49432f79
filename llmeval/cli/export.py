"""``llmeval export RUN --format csv|jsonl|parquet``: a run's results as a table.

The table is ``RunResult.to_pandas()``'s (``analysis.table``): one row per result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from llmeval.cli import output
from llmeval.cli.app import app
from llmeval.cli.project import PROJECT_OPT

FORMATS = ("csv", "jsonl", "parquet")


@app.command()
def export(
    run: str = typer.Argument(
        "latest", help="Run id, unique prefix, 'latest', run folder or baseline file."
    ),
    format: str = typer.Option("csv", "--format", "-f", help="csv | jsonl | parquet"),
    out: Path = typer.Option(
        None, "--output", "-o", help="Write here (default: stdout; parquet needs -o)."
    ),
    project_dir: Path = PROJECT_OPT,
) -> None:
    """Export a run's results, one row per result (for pandas, spreadsheets, DuckDB...)."""
    with output.errors_to_exit():
        from llmeval.errors import UsageError

        if format not in FORMATS:
            raise UsageError(f"--format must be csv, jsonl or parquet, not '{format}'")
        if format == "parquet":
            import importlib.util

            if importlib.util.find_spec("pyarrow") is None:
                raise UsageError(
                    "parquet export needs pyarrow: pip install 'llmeval[parquet]' "
                    "(or use --format csv / jsonl)"
                )
            if out is None:
                raise UsageError("parquet is a binary format: give a file with -o FILE")
        from llmeval.analysis.table import results_frame
        from llmeval.cli.project import project_store

        stored = project_store(project_dir).load_ref(run)
        frame = results_frame(stored.results)
        if format == "parquet":
            assert out is not None
            out.parent.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(out, index=False)
        else:
            text = (
                frame.to_csv(index=False)
                if format == "csv"
                else frame.to_json(
                    orient="records", lines=True, force_ascii=False, double_precision=15
                )
            )
            if text and not text.endswith("\n"):
                text += "\n"
            if out is None:
                sys.stdout.write(text)
            else:
                from llmeval.store.runs import atomic_write

                atomic_write(out, text)
        if out is not None:
            output.err(f"{len(frame)} results → {out}")
