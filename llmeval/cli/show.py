"""Printing a finished run for people."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def print_run(
    report: Any,
    verdict: Any,
    comparison: dict[str, Any] | None,
    notices: list[str],
    written: dict[str, Path],
    *,
    out: Any = None,
    con: Any = None,
) -> None:
    """The run for people: summary, failures, changes and verdict on ``out`` (stdout),
    notes and file paths on ``con`` (stderr); each laid out for its console's width."""
    from rich.markup import escape
    from rich.text import Text

    from llmeval.cli.output import console
    from llmeval.report.console import corpus_tables
    from llmeval.report.console_failures import failures_view, skipped_view
    from llmeval.report.console_summary import summary_view
    from llmeval.report.console_verdict import verdict_view
    from llmeval.text import visible

    con = con if con is not None else console(stderr=True)
    out = out if out is not None else console()
    summary = report.manifest["summary"]
    out.print(summary_view(summary, out.width))
    for t in corpus_tables(summary, width=out.width):
        out.print(t)
    for g in summary["groups"]:
        rep = g.get("repeats")
        if rep and rep.get("k", 0) > 1:
            k = rep["k"]
            flaky = rep.get("flaky") or []
            shown = ", ".join(visible(f) for f in flaky[:10]) + (
                f" and {len(flaky) - 10} more" if len(flaky) > 10 else ""
            )
            out.print(
                escape(visible(f"{g['suite']} [{g['model']} {g['prompt']}]"))
                + f" over {k} repeats: "
                f"pass@{k} {rep['pass_at_k']:.3f} · pass^{k} {rep['pass_hat_k']:.3f}"
                + (
                    f" · [yellow]flaky[/] {len(flaky)}: {escape(shown)}"
                    if flaky
                    else " · no flaky case"
                )
            )
    fails = failures_view(report.results, out.width)
    if fails is not None:
        out.print()
        out.print(fails)
    skipped = skipped_view(summary["groups"])
    if skipped is not None:
        out.print(skipped)
    for note in notices:
        con.print(Text.assemble(("note:", "yellow"), " ", visible(note)))
    if comparison:
        for change in comparison.get("changes", []):
            out.print(Text.assemble(("changed:", "cyan"), " ", visible(change)))
        _print_changes(out, comparison)
    out.print()
    out.print(verdict_view(verdict, _run_line(report)))
    for name, path in written.items():
        con.print(Text.assemble((f"{name}:", "dim"), " ", str(path)))
    budget = getattr(getattr(report, "outcome", None), "stop_reason", None) == "budget"
    if verdict.status == "interrupted" or report.not_run or budget or _retryable(report.results):
        con.print(Text(f"resume with: llmeval run --resume {report.run_id}"))


def _run_line(report: Any) -> str:
    """``run <id>: 147 passed, 16 failed, ... · 6.2 s`` (the counts of the totals)."""
    from llmeval.text import visible

    tot = report.manifest["summary"]["totals"]
    n_skip_a = tot.get("skipped_assertions") or 0
    skipped_a = f" ({n_skip_a} skipped assertion{'s' if n_skip_a != 1 else ''})" if n_skip_a else ""
    cache = tot.get("cache_hits") or 0
    spent = report.manifest.get("spent_usd")
    return (
        f"run {visible(report.run_id)}: "
        f"{tot['passed']} passed, {tot['failed']} failed, {tot['errors']} errors, "
        f"{tot['skipped']} skipped{skipped_a}, {report.not_run} not run"
        + (f" · {cache} cached" if cache else "")
        + (f" · ${spent:.4f} spent" if spent else "")
        + f" · {report.manifest.get('duration_s', 0):.1f} s"
    )


def _retryable(results: Any) -> bool:
    """Errors a resume can fix: provider failures, not a scorer bug or a bad verdict."""
    return any(r.error is not None and r.error.retryable for r in results if r.status == "error")


def _print_changes(out: Any, comparison: dict[str, Any]) -> None:
    """Against a baseline, what moved: regressions first, then fixes, removed, new, flaky."""
    from rich.markup import escape

    from llmeval.text import visible

    by: dict[str, list[str]] = {}
    cases = sorted(comparison.get("cases", []), key=lambda c: not c.get("critical"))
    for c in cases:  # critical cases first
        crit = " (critical)" if c.get("critical") else ""
        by.setdefault(c["change"], []).append(
            visible(f"{c['suite']}/{c['case_id']} [{c['model']} {c['prompt']}]{crit}")
        )
    styles = {"regressed": "red", "fixed": "green", "removed": "yellow", "new": "cyan"}
    for kind in ("regressed", "fixed", "removed", "new", "flaky", "errored"):
        items = by.get(kind) or []
        if not items:
            continue
        style = styles.get(kind, "dim")
        shown = ", ".join(items[:8]) + (f" and {len(items) - 8} more" if len(items) > 8 else "")
        out.print(f"[{style}]{kind} vs baseline ({len(items)}):[/] {escape(shown)}")
