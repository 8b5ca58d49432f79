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


def corpus_tables(
    summary: dict[str, Any], max_labels: int = MAX_LABELS, width: int | None = None
) -> list[Any]:
    """Classification metrics and confusion matrices, corpus BLEU/chrF and derived
    metrics, per group.

    A matrix shows at most the classification's ``max_labels`` option, else
    ``max_labels``, labels (see ``fold_labels``), each clipped to ``LABEL_CHARS``; with
    ``width`` (the console's, ``cli.output``) it is fitted to it (``_fitted``)."""
    from rich.markup import escape

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
            out.append(
                f"[bold]{escape(head)}[/]: accuracy {cls.get('accuracy', 0):.3f} · macro F1 "
                f"{cls.get('f1_macro', cls.get('macro', {}).get('f1', 0)):.3f} · micro F1 "
                f"{cls.get('f1_micro', cls.get('micro', {}).get('f1', 0)):.3f}"
                + ("" if not extra else " · " + " · ".join(extra))
            )
            out += _fitted(cls, cls.get("max_labels") or max_labels, width)
        elif extra:
            out.append(f"{escape(head)}: " + " · ".join(extra))
    return out


# label clips tried, in order, once folding to one label and "other" is not enough
_NARROWER = (16, 8)


def _fitted(cls: dict[str, Any], keep: int, width: int | None) -> list[Any]:
    """The matrix folded to ``keep`` labels; when it is wider than ``width``, more
    labels are folded into "other" (then labels clipped shorter) until rich can draw
    it whole, and one line says so; when nothing fits, one line says that instead (a
    table rich squeezes would cut labels and counts)."""
    from llmeval.report.console_layout import fits

    labels, matrix = cls.get("labels") or [], cls.get("confusion_matrix") or []
    legend = "rows: expected · columns: predicted"
    table = _table(*fold_labels(labels, matrix, keep), LABEL_CHARS)
    if width is None or fits(table, width):
        return [legend, table]
    n = min(keep, len(labels))
    tries = [(k, LABEL_CHARS) for k in range(n - 1, 1, -1)]
    tries += [(k, chars) for chars in _NARROWER for k in range(n, 1, -1)]
    for k, chars in tries:
        table = _table(*fold_labels(labels, matrix, k), chars)
        if fits(table, width):
            shown = min(k, len(labels)) - (1 if k < len(labels) else 0)
            notes = [f'{len(labels) - shown} of {len(labels)} labels in "other"']
            notes = notes if shown < len(labels) else []
            notes += [f"labels clipped to {chars} characters"] if chars < LABEL_CHARS else []
            return [legend, f"{', '.join(notes)} to fit {width} columns", table]
    return [f"confusion matrix not shown: it does not fit {width} columns (see the report)"]


def _table(labels: list[str], matrix: list[list[int]], chars: int) -> Any:
    from rich.markup import escape

    from llmeval.report.console_layout import plain_table

    shown = [clip(visible(lab), chars, count=False) for lab in labels]
    t = plain_table()
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
    return t
