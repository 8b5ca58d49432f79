"""The run's progress on stderr: a rich bar on a terminal, sparse plain lines in CI logs."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from llmeval.domain.record import CaseResult


def limits_text(stats: Mapping[str, Any]) -> str:
    """What rate limits are doing, per model: ``gpt: 32/64 slots, 12 s waited on limits``.

    ``stats`` is ``ProviderFactory.stats()`` (alias -> stack counters). Only models
    that were throttled (a 429, a concurrency cut, time waited) are named.
    """
    parts = []
    for alias, c in stats.items():
        if not isinstance(c, Mapping) or not c.get("concurrency_limit"):
            continue
        waited = float(c.get("limit_wait_s") or 0.0)
        if not (c.get("rate_limited") or c.get("concurrency_decreases") or waited):
            continue
        text = f"{alias}: {c.get('effective_concurrency')}/{c.get('concurrency_limit')} slots"
        if waited:
            text += f", {waited:.0f} s waited on limits"
        parts.append(text)
    return "; ".join(parts)


class ProgressObserver:
    def __init__(self, *, interactive: bool, quiet: bool = False) -> None:
        self.interactive = interactive and not quiet
        self.quiet = quiet
        self.notices: list[str] = []
        self.counts = {"pass": 0, "fail": 0, "error": 0, "skipped": 0}
        self.done = 0
        self.total = 0
        self._progress: Any = None
        self._task: Any = None
        self._last_line = 0.0
        self._start = time.monotonic()
        self._limits: Callable[[], Mapping[str, Any]] | None = None
        self._limits_seen = (-1.0, "")  # (when, text): read the counters twice a second

    def watch_limits(self, source: Callable[[], Mapping[str, Any]]) -> None:
        """Show the providers' adaptive concurrency and limit waits (``factory.stats``)."""
        self._limits = source

    def _limits_text(self) -> str:
        if self._limits is None:
            return ""
        now = time.monotonic()
        if now - self._limits_seen[0] >= 0.5:
            self._limits_seen = (now, limits_text(self._limits()))
        return self._limits_seen[1]

    def on_start(self, total: int, already_done: int) -> None:
        self.total = total
        self.done = already_done
        self._start = time.monotonic()
        if self.interactive:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )
            from rich.table import Column

            from llmeval.cli import output

            self._progress = Progress(
                TextColumn("[bold]llmeval[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                # the status (counts, throttled models) wraps at a narrow terminal
                # rather than losing a model's name to an ellipsis
                TextColumn("{task.fields[status]}", table_column=Column(overflow="fold")),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=output.console(stderr=True),
                transient=False,
                refresh_per_second=8,
            )
            self._progress.start()
            self._task = self._progress.add_task(
                "run", total=total, completed=already_done, status=""
            )
        elif not self.quiet:
            resumed = f" ({already_done} already done)" if already_done else ""
            sys.stderr.write(
                f"llmeval: running {total - already_done} of {total} results{resumed}\n"
            )

    def _status(self) -> str:
        c = self.counts
        parts = [f"[green]{c['pass']} pass[/]", f"[red]{c['fail']} fail[/]"]
        if c["error"]:
            parts.append(f"[yellow]{c['error']} error[/]")
        if c["skipped"]:
            parts.append(f"[dim]{c['skipped']} skipped[/]")
        limits = self._limits_text()
        if limits:
            from rich.markup import escape

            from llmeval.text import visible

            parts.append(f"[dim]· {escape(visible(limits))}[/]")
        return " ".join(parts)

    def on_result(self, result: CaseResult) -> None:
        self.done += 1
        self.counts[result.status] = self.counts.get(result.status, 0) + 1
        if self._progress is not None:
            self._progress.update(self._task, advance=1, status=self._status())
        elif not self.quiet:
            now = time.monotonic()
            # CI logs: a line every 10 s at most, and the last one
            if now - self._last_line >= 10 or self.done == self.total:
                self._last_line = now
                c = self.counts
                limits = self._limits_text()
                sys.stderr.write(
                    f"llmeval: {self.done}/{self.total} done — {c['pass']} pass, {c['fail']} fail,"
                    f" {c['error']} error, {c['skipped']} skipped ({now - self._start:.1f} s)"
                    + (f" — {limits}" if limits else "")
                    + "\n"
                )

    def on_notice(self, message: str) -> None:
        if message.startswith("stopping"):  # the user pressed Ctrl-C: answer now
            if self._progress is not None:
                self._progress.console.print(f"[yellow]{message}[/]")
            else:
                sys.stderr.write(f"llmeval: {message}\n")
            return
        if message not in self.notices:
            self.notices.append(message)

    def on_finish(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
