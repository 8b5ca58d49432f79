"""The end of ``llmeval run --shard K/N``: record and print the slice, gate nothing.

A shard's pass rate is a slice's; its baseline comparison would see a third of the pairs.
So a shard does not decide: ``llmeval merge`` gates the merged run, with the one verdict.
A shard's exit code says only whether its slice is all there: 0 finished (whatever its
cases scored), 2 interrupted, 3 work left not run (budget, open circuit) — both resumable
with ``llmeval run --resume RUN``, which keeps the shard.
"""

from __future__ import annotations

from typing import Any

from llmeval.cli import exits


def check_outputs(shard: str | None, *, junit: Any, markdown: Any, html: Any) -> str | None:
    """Before anything runs: ``K/N`` in its one spelling; a shard writes no report, JUnit
    or markdown (the merge does)."""
    if shard is None:
        return None
    from llmeval.engine.shard import parse_shard
    from llmeval.errors import UsageError

    k, n = parse_shard(shard)
    given = [f for f, v in (("--junit", junit), ("--markdown", markdown), ("--html", html)) if v]
    if given:
        raise UsageError(
            f"--shard writes only the run folder; {', '.join(given)} come from `llmeval merge`"
        )
    return f"{k}/{n}"


def shard_exit(report: Any) -> int:
    if report.outcome.stop_reason == "interrupted":
        return exits.INTERRUPTED
    return exits.INCOMPLETE if report.not_run else exits.OK


def finish_shard(report: Any, *, as_json: bool) -> int:
    from llmeval.store.runs import write_json

    code = shard_exit(report)
    shard = report.plan.shard
    report.manifest["verdict"] = None  # decided by `llmeval merge`, over every shard
    write_json(report.run_dir / "run.json", report.manifest)
    if as_json:
        from llmeval.cli.run import emit_json

        emit_json(
            {
                "run_id": report.run_id,
                "exit_code": code,
                "shard": shard.to_json(),
                "status": report.manifest.get("status"),
                "counts": report.manifest.get("counts"),
                "summary": report.manifest.get("summary"),
                "run_dir": str(report.run_dir),
            }
        )
        return code
    from rich.markup import escape

    from llmeval.cli.output import console
    from llmeval.report.console_summary import summary_view

    out = console()
    out.print(summary_view(report.manifest["summary"], out.width))
    counts = report.manifest.get("counts") or {}
    out.print(
        f"shard {shard.label}: {counts.get('finished', 0)} of {counts.get('planned', 0)} "
        f"results (the whole plan has {shard.planned_total}); not gated — "
        f"`llmeval merge` gates all {shard.n} shards together"
    )
    out.print(f"[dim]run folder:[/] {escape(str(report.run_dir))}")
    if code != exits.OK:
        out.print(f"resume with: llmeval run --resume {escape(report.run_id)}")
    return code
