"""``llmeval run --dry-run``: the plan and its expected cost, without a single call."""

from __future__ import annotations

from typing import Any

from llmeval.cli import exits


def over_limit_lines(plan: Any) -> list[str]:
    """One line per case x model x prompt over the model's max_input_tokens."""
    seen, lines = set(), []
    for item in plan.over_limit:
        key = item.key[:4]
        if key in seen:
            continue
        seen.add(key)
        where = item.case.location or item.suite.path
        lines.append(
            f"{where}: case '{item.case.id}' is ~{item.over_limit} input tokens, over "
            f"max_input_tokens {item.model.max_input_tokens} of model '{item.model.alias}' "
            f"({item.prompt.ref}): it will not be sent"
        )
    return lines


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def breakdown_lines(rows: list[dict[str, Any]], total: int) -> list[str]:
    """One product per suite that multiplies out, then their sum when there are several."""
    lines = [
        f"{r['suite']}: {_n(r['cases'], 'case')} × {_n(r['models'], 'model')} × "
        f"{_n(r['prompts'], 'prompt')} × {_n(r['repeats'], 'repeat')} = {_n(r['results'], 'result')}"
        for r in rows
    ]
    if len(rows) > 1:
        parts = " + ".join(str(r["results"]) for r in rows)
        lines.append(f"total: {parts} = {_n(total, 'result')}")
    return lines


def _cost(value: float | None, *, local: bool = False) -> str:
    if local:
        return "local"  # no provider bills it (a python target's own calls are its business)
    return "unknown" if value is None else f"${value:.4f}"


def _total_cost(total: dict[str, Any]) -> str:
    if total["cost_usd"] is not None:
        return f"${total['cost_usd']:.4f}"
    priced = total.get("cost_usd_priced") or 0.0
    return f"${priced:.4f} + unknown" if priced else "unknown"


_COLUMNS = ("results", "cached", "tokens in", "tokens out", "est. cost")


def _figures(row: dict[str, Any], cost: str) -> tuple[str, ...]:
    return (
        str(row["items"]),
        str(row["cached"]),
        f"{row['tokens_in']:,}",
        f"{row['tokens_out']:,}",
        cost + (" (batch)" if row.get("batch") else ""),
    )


def _rows(est: dict[str, Any], plan: Any) -> list[tuple[Any, str, tuple[str, ...]]]:
    """(model as Text, provider, figures) per model, then the totals."""
    from rich.text import Text

    from llmeval.text import visible

    out = [
        (
            Text(visible(alias)),
            row["provider"],
            _figures(row, _cost(row["cost_usd"], local=plan.models[alias].is_local)),
        )
        for alias, row in est["models"].items()
    ]
    local = all(plan.models[a].is_local for a in est["models"])
    total = "local" if local else _total_cost(est["total"])
    out.append((Text("total", style="bold"), "", _figures(est["total"], total)))
    return out


def plan_table(est: dict[str, Any], plan: Any) -> Any:
    from llmeval.report.console_layout import plain_table

    t = plain_table()
    t.add_column("model", no_wrap=True, overflow="fold")
    t.add_column("provider", no_wrap=True, overflow="fold")
    for name in _COLUMNS:
        t.add_column(name, justify="right", no_wrap=True)
    rows = _rows(est, plan)
    for model, provider, figures in rows[:-1]:
        t.add_row(model, provider, *figures)
    t.add_section()
    t.add_row(rows[-1][0], "", *rows[-1][2])
    return t


def plan_view(est: dict[str, Any], plan: Any, width: int) -> Any:
    """The table when it fits ``width`` whole, else a block per model: its name on a
    line of its own (never cut), the figures indented under it."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    from llmeval.report.console_layout import fits

    title = Text("llmeval plan (dry run: nothing is called)", style="bold")
    table = plan_table(est, plan)
    if fits(table, width):
        return Group(title, table)
    parts: list[Any] = [title]
    for model, provider, figures in _rows(est, plan):
        parts.append(model + (Text(f"  {provider}", style="dim") if provider else Text()))
        line = " · ".join(f"{name} {value}" for name, value in zip(_COLUMNS, figures, strict=True))
        parts.append(Padding(Text(line), (0, 0, 0, 4), expand=False))
    return Group(*parts)


def show_plan(project: Any, cfg: Any, *, as_json: bool, workers: tuple[int, str] = (1, "")) -> int:
    from llmeval.cli import output
    from llmeval.engine.estimate import estimate_plan
    from llmeval.engine.session import plan_for

    sel = cfg.selection
    plan = cfg.plan if cfg.plan is not None and not cfg.resume else plan_for(project, sel)
    if not plan.items:
        from llmeval.cli.project import why_nothing

        output.err(f"nothing selected: {why_nothing(project, sel)}")
        return exits.NOTHING
    est = estimate_plan(project, plan, cfg.cache_mode, batch=getattr(cfg, "batch", False))
    if as_json:
        from llmeval.cli.run import emit_json

        emit_json(
            {
                "dry_run": True,
                **est,
                "over_limit": over_limit_lines(plan),
                "workers": {"n": workers[0], "why": workers[1]},
            }
        )
        return exits.OK
    from rich.markup import escape

    con = output.console()  # the one width rule: the terminal's, $COLUMNS, or piped
    con.print(plan_view(est, plan, con.width))
    for line in breakdown_lines(est["breakdown"], len(plan.items)):
        con.print(escape(line))
    n, why = workers
    con.print(escape(f"workers: {n} process{'es' if n > 1 else ''}" + (f" ({why})" if why else "")))
    judged = sum(1 for i in plan.items for a in i.assertions if a.defn.judge)
    if judged:
        con.print(
            f"[dim]plus {judged} judge calls, not in the estimate: their input is the"
            " answer itself[/]"
        )
    if any(row.get("batch") for row in est["models"].values()):
        con.print(
            "[dim](batch): sent through the provider's batch API, priced at the batch "
            "price (50% of list); answers may take up to 24 h[/]"
        )
    for line in over_limit_lines(plan):
        con.print(f"[yellow]input too long:[/] {escape(line)}")
    if est["unpriced"]:
        con.print(
            f"[yellow]no price known for:[/] {', '.join(est['unpriced'])} (set price: in llmeval.yaml)"
        )
    return exits.OK
