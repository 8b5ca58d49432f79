"""Layout rules shared by the console views: what fits, and lines that wrap under
themselves. Views pick the widest layout that ``fits``; nothing is cut to make room."""

from __future__ import annotations

import io
from typing import Any

# columns a layout leaves free at the right edge (rich fills a line exactly)
MARGIN = 0


def natural_width(renderable: Any) -> int:
    """The width ``renderable`` takes with every cell on one line (rich's measure)."""
    from rich.console import Console
    from rich.measure import Measurement

    probe = Console(width=10_000, file=io.StringIO(), color_system=None)
    return Measurement.get(probe, probe.options, renderable).maximum


def fits(renderable: Any, width: int) -> bool:
    return natural_width(renderable) + MARGIN <= width


def plain_table() -> Any:
    """The console's table: a rule under the bold header, no outer edge, and two spaces
    between columns (the box's blank divider and one of padding)."""
    from rich import box
    from rich.table import Table

    return Table(
        box=box.SIMPLE_HEAD,
        header_style="bold",
        padding=(0, 1, 0, 0),
        pad_edge=False,
        show_edge=False,
    )


def hanging(head: Any, body: Any, indent: int = 0) -> Any:
    """``head body`` where ``body`` wraps under itself (between words), not under ``head``."""
    from rich.padding import Padding
    from rich.table import Table

    grid = Table.grid(padding=(0, 1, 0, 0))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_row(head, body)
    return Padding(grid, (0, 0, 0, indent), expand=False) if indent else grid
