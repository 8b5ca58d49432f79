"""``llmeval diff`` for people: the verdict, the paired metrics and the cases that moved.

A regressed (or errored) case shows why the candidate did not pass: its failing
assertions and their reasons, as ``run`` prints them (``console_failures``). The metrics
are a table when it fits the console's width, else a block per suite x model x prompt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llmeval.domain.record import ERROR, FAIL, CaseResult
from llmeval.report.console_failures import Item, case_lines, items_view
from llmeval.report.console_layout import fits, hanging
from llmeval.text import visible

CASES = 40  # moved cases listed; the rest are counted
_MARKS = {
    "regressed": ("↓", "red"),
    "fixed": ("↑", "green"),
    "errored": ("E", "yellow"),
    "flaky": ("~", "yellow"),
    "new": ("+", "cyan"),
    "removed": ("-", "yellow"),
}
_ORDER = ("regressed", "errored", "fixed", "flaky")
_LISTED = frozenset(_ORDER)  # listed one by one; new and removed are counted per group
_WHY = frozenset({"regressed", "errored", "flaky"})  # changes that show the reasons


def _delta(m: Mapping[str, Any]) -> Any:
    from rich.text import Text

    style = (
        "red"
        if m.get("significant") and m["delta"] < 0
        else "green"
        if m.get("significant")
        else ""
    )
    return Text(f"{m['delta']:+.3f} [{m['ci_low']:+.3f}, {m['ci_high']:+.3f}]", style=style)


def _p(m: Mapping[str, Any]) -> str:
    return f"{m.get('p_adjusted', m.get('p_value', 1)):.3g}"


def metrics_table(metrics: Sequence[Mapping[str, Any]]) -> Any:
    from rich.text import Text

    from llmeval.report.console_layout import plain_table

    t = plain_table()
    for col in ("suite", "model", "prompt", "metric"):
        t.add_column(col, no_wrap=True, overflow="fold")
    for col in ("n", "base", "cand", "Δ [95% CI]", "p (Holm)"):
        t.add_column(col, justify="right", no_wrap=True)
    for m in metrics:
        t.add_row(
            *(Text(visible(m[k])) for k in ("suite", "model", "prompt", "metric")),
            str(m["n"]),
            f"{m['base_mean']:.3f}",
            f"{m['cand_mean']:.3f}",
            _delta(m),
            _p(m),
        )
    return t


def metrics_blocks(metrics: Sequence[Mapping[str, Any]]) -> Any:
    """Per suite x model x prompt, one line per metric: ``pass_rate  n 20  0.900 → 0.850
    Δ -0.050 [-0.2, +0.1]  p 0.5``."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.table import Table
    from rich.text import Text

    parts: list[Any] = []
    by: dict[tuple[str, str, str], list[Mapping[str, Any]]] = {}
    for m in metrics:
        by.setdefault((m["suite"], m["model"], m["prompt"]), []).append(m)
    for key, rows in by.items():
        head = Text("  ").join(Text(visible(k)) for k in key)
        head.stylize("bold")
        parts.append(head)
        grid = Table.grid(padding=(0, 2, 0, 0))
        grid.add_column(no_wrap=True, overflow="fold")
        grid.add_column(no_wrap=True, justify="right")
        for _ in range(3):
            grid.add_column(no_wrap=True)
        for m in rows:
            grid.add_row(
                Text(visible(m["metric"])),
                f"n {m['n']}",
                f"{m['base_mean']:.3f} → {m['cand_mean']:.3f}",
                _delta(m),
                f"p {_p(m)}",
            )
        parts.append(Padding(grid, (0, 0, 0, 4), expand=False))
    return Group(*parts)


def _cand(results: Sequence[CaseResult]) -> dict[tuple[str, str, str, str], CaseResult]:
    """Per case key, the candidate result to explain: a failed or errored repeat first."""
    out: dict[tuple[str, str, str, str], CaseResult] = {}
    for r in results:
        key = (r.suite, r.case_id, r.model, r.prompt)
        seen = out.get(key)
        if seen is None or (seen.status not in (FAIL, ERROR) and r.status in (FAIL, ERROR)):
            out[key] = r
    return out


def cases_view(
    cases: Sequence[Mapping[str, Any]], results: Sequence[CaseResult], width: int
) -> Any | None:
    """The cases that moved: regressions first, each with the candidate's reasons;
    new and removed cases (a suite added or dropped) counted per group."""
    from rich.console import Group
    from rich.text import Text

    moved = [c for c in cases if c.get("change") in _LISTED]
    moved.sort(key=lambda c: (_ORDER.index(c["change"]), not c.get("critical")))
    cand = _cand(results)
    items: list[Item] = []
    for c in moved[:CASES]:
        mark, style = _MARKS[c["change"]]
        crit = " (critical)" if c.get("critical") else ""
        label = visible(
            f"{c['change']}{crit}  {c['suite']}/{c['case_id']} [{c['model']} {c['prompt']}]"
        )
        r = cand.get((c["suite"], c["case_id"], c["model"], c["prompt"]))
        lines = case_lines(r) if r is not None and c["change"] in _WHY else ()
        items.append(Item(mark, style, label, lines))
    parts: list[Any] = []
    if items:
        parts += [Text("Cases that moved", style="bold"), items_view(items, width)]
    if len(moved) > CASES:
        parts.append(Text(f"  … and {len(moved) - CASES} more (--json lists all)", style="dim"))
    for change in ("new", "removed"):
        per: dict[str, int] = {}
        for c in cases:
            if c.get("change") == change:
                key = visible(f"{c['suite']} [{c['model']} {c['prompt']}]")
                per[key] = per.get(key, 0) + 1
        if per:
            mark, style = _MARKS[change]
            body = Text(", ".join(f"{k} {n}" for k, n in list(per.items())[:8]))
            if len(per) > 8:
                body.append(f" and {len(per) - 8} more groups")
            head = Text(f"{mark} {change} ({sum(per.values())}):", style=style)
            parts.append(hanging(head, body, 1))
    return Group(*parts) if parts else None


def diff_view(
    data: Mapping[str, Any], verdict: Any, results: Sequence[CaseResult], width: int
) -> list[Any]:
    """What ``llmeval diff`` prints, top to bottom, for a console ``width`` wide."""
    from rich.text import Text

    from llmeval.report.console_verdict import verdict_view

    line = (
        f"{visible(data['cand'].get('label') or '')} vs {visible(data['base'].get('label') or '')}"
    )
    out: list[Any] = [verdict_view(verdict, line)]
    for change in data.get("changes", []):
        out.append(Text.assemble(("changed:", "cyan"), " ", visible(change)))
    metrics = data.get("metrics", [])
    if metrics:
        table = metrics_table(metrics)
        out.append(Text("metrics (paired)", style="bold"))
        out.append(table if fits(table, width) else metrics_blocks(metrics))
    counts = {k: v for k, v in data.get("counts", {}).items() if v}
    if counts:
        out.append(Text(" · ".join(f"{v} {k}" for k, v in counts.items())))
    moved = cases_view(data.get("cases", []), results, width)
    if moved is not None:
        out.append(moved)
    return out
