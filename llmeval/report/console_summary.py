"""The run summary per suite x model x prompt, laid out for the console's width.

Three layouts, the widest that fits is used, so an id is never cut:

- ``wide``: one table row per group with every figure (pass rate, floor, score, p50, cost);
- ``compact``: the ids, the counts and the pass rate (score, latency and cost go to the
  total line);
- ``stacked``: a two-line block per group, the ids on the first line (wrapped between
  ids, never inside one), the figures indented under them.

"Fits" is measured by rich itself: a table is used only when its natural width (every
cell on one line, nothing folded) is at most the console's width.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from llmeval.report.console_layout import fits
from llmeval.text import visible


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _ci(ci: Sequence[float] | None) -> str:
    return "" if not ci else f"[{ci[0] * 100:.0f}–{ci[1] * 100:.0f}]"


def _num(x: float | None, fmt: str = "{:.0f}") -> str:
    return "—" if x is None else fmt.format(x)


def _money(x: float | None) -> str:
    if x is None:
        return "—"
    return f"${x:.4f}" if x < 1 else f"${x:.2f}"


def _floor(g: Mapping[str, Any]) -> float:
    floor = g.get("min_pass_rate")
    return 1.0 if floor is None else float(floor)


def _rate(g: Mapping[str, Any], *, group: bool = True) -> Any:
    """``89.1% [77–95]``, green when the group meets its floor, red when it does not."""
    from rich.text import Text

    rate = g.get("pass_rate")
    style = "" if rate is None or not group else ("red" if rate < _floor(g) else "green")
    out = Text(_pct(rate), style=style)
    ci = _ci(g.get("pass_rate_ci"))
    if ci:
        out.append(" " + ci, style="dim")
    return out


def _errors(g: Mapping[str, Any]) -> str:
    return str(g["errors"]) + (f"+{g['not_run']}nr" if g.get("not_run") else "")


def _ids(g: Mapping[str, Any]) -> tuple[Any, Any, Any]:
    """The group's ids as rich Text (never read as markup), control characters shown."""
    from rich.text import Text

    return tuple(Text(visible(g[k])) for k in ("suite", "model", "prompt"))  # type: ignore[return-value]


# (header, justify, cell of a group, cell of the totals, shown only when some group
# has a value there: a column of zeros or dashes is dropped so the ids keep the room)
_Col = tuple[str, str, Callable[[Mapping[str, Any]], Any], Callable[[Mapping[str, Any]], Any]]
_ANY = {
    "error": lambda g: g.get("errors") or g.get("not_run"),
    "skip": lambda g: g.get("skipped"),
    "score": lambda g: g.get("mean_score") is not None,
    "p50 ms": lambda g: g.get("latency_p50") is not None,
    "cost": lambda g: g.get("cost_usd") is not None,
}
_WIDE: tuple[_Col, ...] = (
    ("pass", "right", lambda g: str(g["passed"]), lambda t: str(t["passed"])),
    ("fail", "right", lambda g: str(g["failed"]), lambda t: str(t["failed"])),
    ("error", "right", _errors, _errors),
    ("skip", "right", lambda g: str(g["skipped"]), lambda t: str(t["skipped"])),
    ("pass rate [95% CI]", "right", _rate, lambda t: _rate(t, group=False)),
    ("min", "right", lambda g: _pct(_floor(g)), lambda t: ""),
    ("score", "right", lambda g: _num(g.get("mean_score"), "{:.3f}"), lambda t: ""),
    ("p50 ms", "right", lambda g: _num(g.get("latency_p50")), lambda t: _num(t.get("latency_p50"))),
    ("cost", "right", lambda g: _money(g.get("cost_usd")), lambda t: _money(t.get("cost_usd"))),
)
_COMPACT = frozenset({"pass", "fail", "error", "skip", "pass rate [95% CI]", "min"})


def _table(summary: Mapping[str, Any], names: frozenset[str] | None = None) -> Any:
    """The ids and the figures named in ``names`` (all when None), one row per group."""
    from llmeval.report.console_layout import plain_table

    groups = summary["groups"]
    cols = [
        c
        for c in _WIDE
        if (names is None or c[0] in names)
        and (c[0] not in _ANY or any(_ANY[c[0]](g) for g in groups))
    ]
    t = plain_table()
    for name in ("suite", "model", "prompt"):
        t.add_column(name, no_wrap=True, overflow="fold")
    for name, just, _, _ in cols:
        t.add_column(name, justify=just, no_wrap=True)  # type: ignore[arg-type]
    for g in groups:
        t.add_row(*_ids(g), *(cell(g) for _, _, cell, _ in cols))
    tot = summary["totals"]
    t.add_section()
    t.add_row("[bold]total[/]", "", "", *(cell(tot) for _, _, _, cell in cols))
    return t


def wide_table(summary: Mapping[str, Any]) -> Any:
    return _table(summary)


def compact_table(summary: Mapping[str, Any]) -> Any:
    return _table(summary, _COMPACT)


def _figures(g: Mapping[str, Any], *, group: bool = True) -> Any:
    """``41 passed · 5 failed · 89.1% [77–95] (min 80.0%) · score 0.964 · p50 0 ms``."""
    from rich.text import Text

    out = Text()
    counts = [(g["passed"], "passed", "green"), (g["failed"], "failed", "red")]
    counts += [(g["errors"], "errors", "yellow"), (g.get("not_run") or 0, "not run", "yellow")]
    counts += [(g["skipped"], "skipped", "dim")]
    shown = [(n, word, style) for n, word, style in counts if n or word == "passed"]
    for i, (n, word, style) in enumerate(shown):
        if i:
            out.append(", ")
        out.append(f"{n} {word}", style=style if n else "")
    out.append(" · ")
    out.append_text(_rate(g, group=group))
    if group:
        out.append(f" (min {_pct(_floor(g))})", style="dim")
    if g.get("skipped_assertions") and group:
        out.append(f" · {g['skipped_assertions']} assertions skipped", style="dim")
    extra = []
    if g.get("mean_score") is not None and group:
        extra.append(f"score {g['mean_score']:.3f}")
    if g.get("latency_p50") is not None:
        extra.append(f"p50 {g['latency_p50']:.0f} ms")
    if g.get("cost_usd") is not None:
        extra.append(_money(g["cost_usd"]))
    if extra:
        out.append(" · " + " · ".join(extra), style="dim")
    return out


def stacked(summary: Mapping[str, Any]) -> Any:
    """A block per group: ids on one line (wrapped only between ids), figures under."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    parts: list[Any] = []
    for g in summary["groups"]:
        suite, model, prompt = _ids(g)
        suite.stylize("bold")
        head = Text("  ").join((suite, model, prompt))
        parts.append(head)
        parts.append(Padding(_figures(g), (0, 0, 0, 4), expand=False))
    head = Text("total", style="bold")
    parts.append(head)
    parts.append(Padding(_figures(summary["totals"], group=False), (0, 0, 0, 4), expand=False))
    return Group(*parts)


def summary_view(summary: Mapping[str, Any], width: int) -> Any:
    """The widest layout that fits ``width`` columns without cutting anything."""
    from rich.console import Group
    from rich.text import Text

    title = Text("llmeval summary", style="bold")
    for build in (wide_table, compact_table):
        table = build(summary)
        if fits(table, width):
            if build is compact_table:
                return Group(title, table, _total_line(summary))
            return Group(title, table)
    # stacked: each group's ids on a line of their own, its figures indented under them
    return Group(title, stacked(summary))


def _total_line(summary: Mapping[str, Any]) -> Any:
    """What the compact table leaves out, for the whole run."""
    from rich.text import Text

    tot = summary["totals"]
    extra = [f"score {tot['mean_score']:.3f}"] if tot.get("mean_score") is not None else []
    if tot.get("latency_p50") is not None:
        extra.append(f"p50 {tot['latency_p50']:.0f} ms")
    if tot.get("cost_usd") is not None:
        extra.append(f"cost {_money(tot['cost_usd'])}")
    return Text("  " + " · ".join(extra), style="dim")
