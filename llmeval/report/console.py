"""Corpus figures for people, drawn with rich: classification matrices, BLEU/chrF.

The rest of the console lives beside it: ``console_summary`` (the per-group table or
blocks, by width), ``console_failures`` (why results failed) and ``console_verdict``.
"""

from __future__ import annotations

from typing import Any

from llmeval.analysis.corpus import MAX_LABELS, fold_labels
from llmeval.text import clip, visible

__all__ = ["LABEL_CHARS", "MAX_LABELS", "corpus_tables", "fold_labels"]

LABEL_CHARS = 32  # one label of a confusion matrix, clipped with llmeval.text.clip's marker


def corpus_tables(summary: dict[str, Any], max_labels: int = MAX_LABELS) -> list[Any]:
    """Classification metrics and confusion matrices, corpus BLEU/chrF and derived
    metrics, per group.

    A matrix shows at most the classification's ``max_labels`` option, else
    ``max_labels``, labels (see ``fold_labels``), each clipped to ``LABEL_CHARS``."""
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
            keep = cls.get("max_labels") or max_labels
            labels, matrix = fold_labels(
                cls.get("labels") or [], cls.get("confusion_matrix") or [], keep
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
