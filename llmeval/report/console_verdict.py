"""The verdict on the console: the headline, then the gate's reasons and notes.

The reasons and notes are ``analysis.gate.Verdict``'s own, shown as they are (with
control characters made visible), never recomputed here. Each one wraps with a
hanging indent under its bullet, so a long reason stays readable at 80 columns.
"""

from __future__ import annotations

from typing import Any

from llmeval.report.console_layout import hanging
from llmeval.text import visible

STYLE = {"passed": "bold green", "failed": "bold red"}


def headline_style(verdict: Any) -> str:
    return STYLE.get(verdict.status, "bold yellow")


def bullets(verdict: Any) -> Any | None:
    """One row per reason (red or yellow •) and per note (dim ·), hanging indent."""
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    rows: list[tuple[Text, Text]] = []
    for reason in verdict.reasons:
        style = "red" if reason.blocking == "fail" else "yellow"
        rows.append((Text("•", style=style), Text(visible(reason.message))))
    for note in verdict.notes:
        rows.append((Text("·", style="dim"), Text(visible(note))))
    if not rows:
        return None
    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for mark, text in rows:
        grid.add_row(mark, text)
    return Padding(grid, (0, 0, 0, 2), expand=False)


def verdict_view(verdict: Any, line: str) -> Any:
    """``PASSED <line>`` and the verdict's reasons and notes under it."""
    from rich.console import Group
    from rich.text import Text

    head = hanging(Text(verdict.headline, style=headline_style(verdict)), Text(line))
    body = bullets(verdict)
    return head if body is None else Group(head, body)
