"""Printing a finished run for people."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

_STYLE = {"passed": "bold green", "failed": "bold red"}


def print_run(
    report: Any,
    verdict: Any,
    comparison: dict[str, Any] | None,
    notices: list[str],
    written: dict[str, Path],
) -> None:
    from rich.console import Console
    from rich.markup import escape

    from llmeval.report.console import corpus_tables, failure_lines, summary_table
    from llmeval.text import visible

    # CI logs are wide; rich's 80-column default for pipes would fold every table
    con = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 160)
    out = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    out.print(summary_table(report.manifest["summary"]))
    for t in corpus_tables(report.manifest["summary"]):
        out.print(t)
    for g in report.manifest["summary"]["groups"]:
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
    fails = failure_lines(report.results)
    if fails:
        out.print("[bold]Failures[/]")
        for status, where, why in fails:
            mark = "[yellow]E[/]" if status == "error" else "[red]F[/]"
            out.print(
                f" {mark} {escape(where)}  [dim]{escape(why)}[/]", no_wrap=True, overflow="ellipsis"
            )
        bad = sum(1 for r in report.results if r.status in ("fail", "error"))
        if bad > len(fails):
            out.print(f"   [dim]… and {bad - len(fails)} more in the report[/]")
    for note in notices:
        con.print(f"[yellow]note:[/] {escape(visible(note))}")
    if comparison:
        for change in comparison.get("changes", []):
            out.print(f"[cyan]changed:[/] {escape(visible(change))}")
        _print_changes(out, comparison)
    tot = report.summary.totals
    cache = tot.cache_hits
    style = _STYLE.get(verdict.status, "bold yellow")
    skipped_a = (
        f" ({tot.skipped_assertions} skipped assertion{'s' if tot.skipped_assertions != 1 else ''})"
        if tot.skipped_assertions
        else ""
    )
    out.print(
        f"[{style}]{verdict.headline}[/] run {escape(report.run_id)}: "
        f"{tot.passed} passed, {tot.failed} failed, {tot.errors} errors, "
        f"{tot.skipped} skipped{skipped_a}, {report.not_run} not run"
        + (f" · {cache} cached" if cache else "")
        + (
            f" · ${report.manifest.get('spent_usd', 0):.4f} spent"
            if report.manifest.get("spent_usd")
            else ""
        )
        + f" · {report.manifest.get('duration_s', 0):.1f} s"
    )
    for reason in verdict.reasons:
        mark = "[red]•[/]" if reason.blocking == "fail" else "[yellow]•[/]"
        out.print(f"  {mark} {escape(visible(reason.message))}")
    for note in verdict.notes:
        out.print(f"  [dim]·[/] {escape(visible(note))}")
    for name, path in written.items():
        con.print(f"[dim]{name}:[/] {escape(str(path))}")
    if verdict.status == "interrupted" or report.not_run or _retryable(report.results):
        con.print(f"resume with: llmeval run --resume {escape(report.run_id)}")


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
