"""The run's progress on stderr: a rich bar on a terminal, sparse plain lines in CI logs."""

from __future__ import annotations

import sys
import time
from typing import Any

from llmeval.domain.record import CaseResult


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

    def on_start(self, total: int, already_done: int) -> None:
        self.total = total
        self.done = already_done
        self._start = time.monotonic()
        if self.interactive:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("[bold]llmeval[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[status]}"),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
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
                sys.stderr.write(
                    f"llmeval: {self.done}/{self.total} done — {c['pass']} pass, {c['fail']} fail,"
                    f" {c['error']} error, {c['skipped']} skipped ({now - self._start:.1f} s)\n"
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
