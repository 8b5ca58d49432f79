"""The end-of-run summary for people, drawn with rich."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmeval.domain.record import CaseResult
from llmeval.text import clip, visible

REASON_CHARS = 160  # one failure line's reason
LABEL_CHARS = 32  # one label of a confusion matrix
MAX_LABELS = 12  # labels a confusion matrix shows; the rest are summed as "other"


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def _ci(ci: Sequence[float] | None) -> str:
    return "" if not ci else f" [dim]\\[{ci[0] * 100:.0f}–{ci[1] * 100:.0f}][/]"


def _num(x: float | None, fmt: str = "{:.0f}") -> str:
    return "—" if x is None else fmt.format(x)


def _money(x: float | None) -> str:
    if x is None:
        return "—"
    return f"${x:.4f}" if x < 1 else f"${x:.2f}"


def summary_table(summary: dict[str, Any]) -> Any:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    t = Table(
        title="llmeval summary", title_justify="left", header_style="bold", box=box.SIMPLE_HEAD
    )
    for col, just in (
        ("suite", "left"),
        ("model", "left"),
        ("prompt", "left"),
        ("pass", "right"),
        ("fail", "right"),
        ("error", "right"),
        ("skip", "right"),
        ("pass rate [95% CI]", "right"),
        ("min", "right"),
        ("score", "right"),
        ("p50 ms", "right"),
        ("cost", "right"),
    ):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for g in summary["groups"]:
        rate = g["pass_rate"]
        floor = g.get("min_pass_rate")
        style = (
            ""
            if rate is None
            else ("red" if rate < (floor if floor is not None else 1.0) else "green")
        )
        t.add_row(
            escape(visible(g["suite"])),
            escape(visible(g["model"])),
            escape(visible(g["prompt"])),
            str(g["passed"]),
            str(g["failed"]),
            str(g["errors"]) + (f"+{g['not_run']}nr" if g.get("not_run") else ""),
            str(g["skipped"]),
            f"[{style}]{_pct(rate)}[/]{_ci(g.get('pass_rate_ci'))}" if style else _pct(rate),
            _pct(floor) if floor is not None else "100%",
            _num(g.get("mean_score"), "{:.3f}"),
            _num(g.get("latency_p50")),
            _money(g.get("cost_usd")),
        )
    tot = summary["totals"]
    t.add_section()
    t.add_row(
        "[bold]total[/]",
        "",
        "",
        str(tot["passed"]),
        str(tot["failed"]),
        str(tot["errors"]) + (f"+{tot['not_run']}nr" if tot.get("not_run") else ""),
        str(tot["skipped"]),
        f"{_pct(tot['pass_rate'])}{_ci(tot.get('pass_rate_ci'))}",
        "",
        "",
        _num(tot.get("latency_p50")),
        _money(tot.get("cost_usd")),
    )
    return t


def _first_failure(r: CaseResult) -> str:
    if r.error is not None:
        return f"{r.error.kind}: {r.error.message}"
    for a in r.assertions:
        if a.status == "fail":
            return f"{a.type}: {a.reason}" if a.reason else a.type
    return ""


def fold_labels(
    labels: Sequence[Any], matrix: Sequence[Sequence[int]], keep: int
) -> tuple[list[str], list[list[int]]]:
    """At most ``keep`` labels (the most frequent, expected + predicted) in their order,
    the others summed into one ``other`` row and column."""
    names = [str(lab) for lab in labels]
    rows = [list(r) for r in matrix]
    if len(names) <= keep:
        return names, rows
    n = len(names)
    weight = [sum(rows[i]) + sum(rows[j][i] for j in range(n)) for i in range(n)]
    top = sorted(sorted(range(n), key=lambda i: -weight[i])[: max(keep - 1, 1)])
    slot = {i: k for k, i in enumerate(top)}
    other = len(top)
    out = [[0] * (other + 1) for _ in range(other + 1)]
    for i in range(n):
        for j in range(n):
            out[slot.get(i, other)][slot.get(j, other)] += rows[i][j]
    return [names[i] for i in top] + [f"other ({n - len(top)})"], out


def corpus_tables(summary: dict[str, Any], max_labels: int = MAX_LABELS) -> list[Any]:
    """Classification metrics and confusion matrices, corpus BLEU/chrF, per group.

    A matrix shows at most ``max_labels`` labels (see ``fold_labels``), each clipped."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    out: list[Any] = []
    for g in summary["groups"]:
        corpus = g.get("corpus") or {}
        head = visible(f"{g['suite']} [{g['model']} {g['prompt']}]")
        extra = [f"corpus {k.upper()} {corpus[k]:.3f}" for k in ("bleu", "chrf") if k in corpus]
        cls = corpus.get("classification")
        if cls:
            labels, matrix = fold_labels(
                cls.get("labels") or [], cls.get("confusion_matrix") or [], max_labels
            )
            shown = [clip(visible(lab), LABEL_CHARS, count=False) for lab in labels]
            out.append(
                f"[bold]{escape(head)}[/]: accuracy {cls.get('accuracy', 0):.3f} · macro F1 "
                f"{cls.get('f1_macro', cls.get('macro', {}).get('f1', 0)):.3f} · micro F1 "
                f"{cls.get('f1_micro', cls.get('micro', {}).get('f1', 0)):.3f}"
                + ("" if not extra else " · " + " · ".join(extra))
            )
            t = Table(
                box=box.SIMPLE_HEAD,
                caption="rows: expected · columns: predicted",
                caption_justify="left",
            )
            t.add_column("")
            for lab in shown:
                t.add_column(escape(lab), justify="right")
            for i, (lab, row) in enumerate(zip(shown, matrix, strict=False)):
                t.add_row(
                    escape(lab),
                    *(
                        f"[bold]{v}[/]" if i == j else (f"[red]{v}[/]" if v else "·")
                        for j, v in enumerate(row)
                    ),
                )
            out.append(t)
        elif extra:
            out.append(f"{escape(head)}: " + " · ".join(extra))
    return out


def failure_lines(results: Sequence[CaseResult], limit: int = 15) -> list[tuple[str, str, str]]:
    """(status, 'suite/case [model prompt]', why) for failed and errored results."""
    bad = [r for r in results if r.status in ("fail", "error")]
    bad.sort(key=lambda r: (r.status != "error", r.suite, r.case_id, r.model, r.repeat))
    out: list[tuple[str, str, str]] = []
    for r in bad[:limit]:
        rep = f" #{r.repeat}" if r.repeat else ""
        where = visible(f"{r.suite}/{r.case_id} [{r.model} {r.prompt}{rep}]")
        why = " ".join(_first_failure(r).split())
        out.append((r.status, where, clip(visible(why), REASON_CHARS)))
    return out
