"""Why results failed, for the console: every failing assertion, its type and reason.

A failed case lists each failing (or unscorable) assertion with its reason, up to
``PER_CASE`` of them and then ``+N more``; an errored case shows the error's kind and
message (and, for a tool loop stopped part way, the steps it made before it); skipped
assertions are named on one dim line. Ids and reasons are never cut:
a reason wraps (and up to ``REASON_CHARS`` is shown whole), an id stays on its line.

Two layouts, chosen by width: a grid (case id, assertion type, reason side by side) when
the reason keeps at least ``MIN_REASON`` columns, else each case on its own line with
its assertions indented under it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from llmeval.domain.record import ERROR, FAIL, SKIPPED, CaseResult
from llmeval.report.console_layout import hanging
from llmeval.text import clip, visible

REASON_CHARS = 500  # a reason up to this long is shown whole; longer ones are clipped
PER_CASE = 5  # failing assertions listed per case before "+N more"
MIN_REASON = 48  # columns the reason keeps side by side; narrower, it goes under its case
CASES = 25  # failed results listed; the rest are counted ("and N more in the report")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a failed case: an assertion type (or error kind) and why."""

    what: str
    why: str
    style: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """One failed result as shown: a mark (F, E, ↓...), a label and its lines."""

    mark: str
    mark_style: str
    label: str
    lines: tuple[Line, ...]


def reason_text(text: str) -> str:
    """A reason on the console: one line (whitespace runs collapsed), visible, bounded."""
    return clip(visible(" ".join(str(text).split())), REASON_CHARS)


def case_lines(r: CaseResult, per_case: int = PER_CASE) -> tuple[Line, ...]:
    """Every reason ``r`` did not pass: its error, then each failing or unscorable
    assertion in order (collapsed after ``per_case``), then the skipped ones."""
    out: list[Line] = []
    if r.error is not None:
        out.append(Line(visible(r.error.kind), reason_text(r.error.message), "yellow"))
        if r.trajectory and not r.assertions:  # a tool loop stopped part way: what it did
            n = len(r.trajectory)
            done = ", ".join(f"{s.type} {s.name}" for s in r.trajectory)
            out.append(Line("", reason_text(f"{n} step{'s' * (n != 1)} before it: {done}"), "dim"))
    bad = list(r.failing)
    for a in bad[:per_case]:
        turn = f" (turn {a.turn + 1})" if a.turn is not None else ""
        if a.status == ERROR:
            why = f"could not score ({a.kind or 'error'}): {a.reason}" if a.reason else "error"
            out.append(Line(visible(a.type) + turn, reason_text(why), "yellow"))
        else:
            out.append(Line(visible(a.type) + turn, reason_text(a.reason or "failed")))
    if len(bad) > per_case:
        out.append(Line("", f"+{len(bad) - per_case} more", "dim"))
    skipped = Counter(a.type for a in r.assertions if a.status == SKIPPED)
    if skipped:
        names = ", ".join(visible(t) + (f" ×{n}" if n > 1 else "") for t, n in skipped.items())
        out.append(Line("skipped", names, "dim"))
    return tuple(out)


def result_label(r: CaseResult, *, full: bool = False) -> str:
    """The case id (``#k`` for a repeat); ``full`` adds suite and ``[model prompt]``."""
    rep = f" #{r.repeat}" if r.repeat else ""
    if full:
        return visible(f"{r.suite}/{r.case_id}{rep} [{r.model} {r.prompt}]")
    return visible(f"{r.case_id}{rep}")


def result_item(r: CaseResult, *, full: bool = False) -> Item:
    mark, style = ("E", "yellow") if r.status == ERROR else ("F", "red")
    return Item(mark, style, result_label(r, full=full), case_lines(r))


def _cell_len(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def items_view(items: Sequence[Item], width: int, indent: int = 1) -> Any:
    """``items`` side by side (mark, label, type, reason) when the reason keeps
    ``MIN_REASON`` columns at ``width``, else stacked (label, then its lines under it)."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    label_w = max((_cell_len(i.label) for i in items), default=0)
    what_w = max((_cell_len(ln.what) for i in items for ln in i.lines), default=0)
    side_by_side = indent + 2 + label_w + 2 + what_w + 2 + MIN_REASON <= width
    if side_by_side:
        t = Table.grid(padding=(0, 2, 0, 0))
        t.add_column(no_wrap=True)  # mark
        t.add_column(no_wrap=True, overflow="fold")  # label
        t.add_column(no_wrap=True, overflow="fold")  # type
        t.add_column(overflow="fold")  # reason
        for i in items:
            lines = i.lines or (Line("", ""),)
            for k, ln in enumerate(lines):
                t.add_row(
                    Text(i.mark, style=i.mark_style) if k == 0 else "",
                    Text(i.label) if k == 0 else "",
                    Text(ln.what, style=ln.style or "bold"),
                    Text(ln.why, style=ln.style or ""),
                )
        return Padding(t, (0, 0, 0, indent), expand=False)
    blocks: list[Any] = []
    for i in items:
        blocks.append(hanging(Text(i.mark, style=i.mark_style), Text(i.label), indent))
        if i.lines:
            grid = Table.grid(padding=(0, 2, 0, 0))
            grid.add_column(no_wrap=True, overflow="fold")
            grid.add_column(overflow="fold")
            for ln in i.lines:
                grid.add_row(
                    Text(ln.what, style=ln.style or "bold"), Text(ln.why, style=ln.style or "")
                )
            blocks.append(Padding(grid, (0, 0, 0, indent + 4), expand=False))
    return Group(*blocks)


def _group_key(r: CaseResult) -> tuple[str, str, str]:
    return (r.suite, r.model, r.prompt)


def failures_view(results: Sequence[CaseResult], width: int, limit: int = CASES) -> Any | None:
    """The failed and errored results, grouped by suite x model x prompt, or None."""
    from rich.console import Group
    from rich.text import Text

    bad = [r for r in results if r.status in (FAIL, ERROR)]
    if not bad:
        return None
    bad.sort(key=lambda r: (_group_key(r), r.status != ERROR, r.case_id, r.repeat))
    shown = bad[:limit]
    n_fail = sum(1 for r in bad if r.status == FAIL)
    n_err = len(bad) - n_fail
    title = Text("Failures", style="bold")
    title.append(
        " (" + ", ".join(p for p in (_n(n_fail, "failed"), _n(n_err, "errored")) if p) + ")",
        style="",
    )
    parts: list[Any] = [title]
    groups: dict[tuple[str, str, str], list[CaseResult]] = {}
    for r in shown:
        groups.setdefault(_group_key(r), []).append(r)
    tally = Counter((_group_key(r), r.status) for r in bad)
    for key, rs in groups.items():
        head = Text("  ").join(Text(visible(k)) for k in key)
        head.stylize("bold")
        counts = [_n(tally[(key, FAIL)], "failed"), _n(tally[(key, ERROR)], "errored")]
        head.append("  " + ", ".join(c for c in counts if c), style="dim")
        parts.append(head)
        parts.append(items_view([result_item(r) for r in rs], width, indent=2))
    if len(bad) > len(shown):
        parts.append(Text(f"  … and {len(bad) - len(shown)} more in the report", style="dim"))
    return Group(*parts)


def _n(n: int, word: str) -> str:
    return f"{n} {word}" if n else ""


def skipped_view(groups: Iterable[dict[str, Any]]) -> Any | None:
    """Where assertions were skipped: ``N assertions skipped: suite [model prompt] n, ...``.

    Why they were skipped is the verdict's note (``analysis.gate``), printed with it."""
    from rich.text import Text

    where = [
        (visible(f"{g['suite']} [{g['model']} {g['prompt']}]"), int(g["skipped_assertions"]))
        for g in groups
        if g.get("skipped_assertions")
    ]
    if not where:
        return None
    total = sum(n for _, n in where)
    shown = where[:8]
    body = Text(", ".join(f"{w} {n}" for w, n in shown), style="dim")
    if len(where) > len(shown):
        body.append(f" and {len(where) - len(shown)} more groups")
    return hanging(Text(f"Skipped assertions ({total}):", style="bold"), body)
