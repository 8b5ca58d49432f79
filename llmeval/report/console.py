"""Corpus figures for people, drawn with rich: classification matrices, BLEU/chrF.

The rest of the console lives beside it: ``console_summary`` (the per-group table or
blocks, by width), ``console_failures`` (why results failed) and ``console_verdict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmeval.text import clip, visible

LABEL_CHARS = 32  # one label of a confusion matrix
MAX_LABELS = 12  # labels a confusion matrix shows; the rest are summed as "other"


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
    """Classification metrics and confusion matrices, corpus BLEU/chrF and derived
    metrics, per group.

    A matrix shows at most ``max_labels`` labels (see ``fold_labels``), each clipped."""
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    out: list[Any] = []
    for g in summary["groups"]:
        corpus = g.get("corpus") or {}
        head = visible(f"{g['suite']} [{g['model']} {g['prompt']}]")
        extra = [f"corpus {k.upper()} {corpus[k]:.3f}" for k in ("bleu", "chrf") if k in corpus]
        extra += [  # the suite's derived_metrics (promptfoo's derivedMetrics)
            f"{visible(k)} {'–' if v is None else format(v, '.4g')}"
            for k, v in (g.get("derived") or {}).items()
        ]
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
