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


def show_plan(project: Any, cfg: Any, *, as_json: bool) -> int:
    from llmeval.engine.estimate import estimate_plan
    from llmeval.engine.session import plan_for

    sel = cfg.selection
    plan = plan_for(project, sel)
    if not plan.items:
        from llmeval.cli import output

        output.err("nothing selected: no case matches the given suites, models, tags or filter")
        return exits.NOTHING
    est = estimate_plan(project, plan, cfg.cache_mode)
    if as_json:
        from llmeval.cli.run import emit_json

        emit_json({"dry_run": True, **est, "over_limit": over_limit_lines(plan)})
        return exits.OK
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    t = Table(title="llmeval plan (dry run: nothing is called)", title_justify="left")
    for col in (
        "model",
        "provider",
        "results",
        "cached",
        "est. tokens in",
        "est. tokens out",
        "est. cost",
    ):
        t.add_column(col, justify="left" if col in ("model", "provider") else "right")
    for alias, row in est["models"].items():
        t.add_row(
            escape(alias),
            row["provider"],
            str(row["items"]),
            str(row["cached"]),
            f"{row['tokens_in']:,}",
            f"{row['tokens_out']:,}",
            "n/a" if alias in est["unpriced"] else f"${row['cost_usd']:.4f}",
        )
    tot = est["total"]
    t.add_section()
    t.add_row(
        "total",
        "",
        str(tot["items"]),
        str(tot["cached"]),
        f"{tot['tokens_in']:,}",
        f"{tot['tokens_out']:,}",
        f"${tot['cost_usd']:.4f}",
    )
    import sys

    con = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    con.print(t)
    n_cases = len({(i.suite.name, i.case.id) for i in plan.items})

    def n(k: int, word: str) -> str:
        return f"{k} {word}{'' if k == 1 else 's'}"

    con.print(
        f"{n(len(plan.suites), 'suite')} × {n(n_cases, 'case')} × {n(len(plan.models), 'model')}"
        f" × {n(len(plan.prompts), 'prompt')} × {n(sel.repeat, 'repeat')}"
        f" = {n(len(plan.items), 'result')}"
    )
    judged = sum(1 for i in plan.items for a in i.assertions if a.defn.judge)
    if judged:
        con.print(
            f"[dim]plus {judged} judge calls, not in the estimate: their input is the"
            " answer itself[/]"
        )
    for line in over_limit_lines(plan):
        con.print(f"[yellow]input too long:[/] {escape(line)}")
    if est["unpriced"]:
        con.print(
            f"[yellow]no price known for:[/] {', '.join(est['unpriced'])} (set price: in llmeval.yaml)"
        )
    return exits.OK
