"""Suite-level metrics computed from the per-case ``details`` (pure; libraries load lazily).

- ``classification_report`` from the ``classification`` assertion's
  ``{"predicted", "expected"}`` pairs, via scikit-learn;
- ``corpus_bleu`` / ``corpus_chrf`` from outputs and the ``references`` that the
  ``bleu`` / ``chrf`` assertions record, via sacrebleu. Scores are in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NO_LABEL = "(none)"  # a prediction the classifier could not extract


def classification_report(
    pairs: Sequence[tuple[str | None, str | None]], labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy, precision/recall/F1 (macro, micro, weighted), per label, confusion matrix.

    ``pairs`` are ``(expected, predicted)``, i.e. scikit-learn's ``(y_true, y_pred)``.
    Label order is ``labels`` if given (plus any unlisted label seen, sorted), else all
    labels seen, sorted. ``confusion_matrix[i][j]`` counts cases whose expected label is
    ``labels[i]`` and predicted label ``labels[j]``.
    """
    y_true = [NO_LABEL if t is None else str(t) for t, _ in pairs]
    y_pred = [NO_LABEL if p is None else str(p) for _, p in pairs]
    seen = set(y_true) | set(y_pred)
    order = list(labels or [])
    order += sorted(seen - set(order))
    if not pairs:
        return {"n": 0, "labels": order, "accuracy": None, "confusion_matrix": []}

    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    def averaged(average: str) -> dict[str, float]:
        p, r, f, _ = precision_recall_fscore_support(
            y_true, y_pred, labels=order, average=average, zero_division=0
        )
        return {"precision": float(p), "recall": float(r), "f1": float(f)}

    p, r, f, support = precision_recall_fscore_support(
        y_true, y_pred, labels=order, average=None, zero_division=0
    )
    per_label = {
        label: {
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
            "support": int(support[i]),
        }
        for i, label in enumerate(order)
    }
    matrix = confusion_matrix(y_true, y_pred, labels=order)
    return {
        "n": len(pairs),
        "labels": order,
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro": averaged("macro"),
        "micro": averaged("micro"),
        "weighted": averaged("weighted"),
        "per_label": per_label,
        "confusion_matrix": [[int(x) for x in row] for row in matrix],
    }


def _streams(refs: Sequence[str | Sequence[str]]) -> list[list[str | None]]:
    """Per-hypothesis reference lists -> sacrebleu's reference streams (None = missing)."""
    per_hyp = [[r] if isinstance(r, str) else list(r) for r in refs]
    width = max((len(r) for r in per_hyp), default=0)
    return [[r[k] if k < len(r) else None for r in per_hyp] for k in range(width)]


def _check(hyps: Sequence[str], refs: Sequence[Any]) -> None:
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} reference entries")


def corpus_bleu(
    hyps: Sequence[str],
    refs: Sequence[str | Sequence[str]],
    *,
    tokenize: str = "13a",
    lowercase: bool = False,
) -> float | None:
    """Corpus BLEU / 100; ``refs[i]`` is hypothesis i's reference or list of references."""
    _check(hyps, refs)
    if not hyps:
        return None
    from sacrebleu.metrics import BLEU

    metric = BLEU(tokenize=tokenize, lowercase=lowercase)
    return float(metric.corpus_score(list(hyps), _streams(refs)).score) / 100.0  # type: ignore[arg-type]


def corpus_chrf(
    hyps: Sequence[str], refs: Sequence[str | Sequence[str]], *, word_order: int = 0
) -> float | None:
    """Corpus chrF (chrF++ with ``word_order=2``) / 100."""
    _check(hyps, refs)
    if not hyps:
        return None
    from sacrebleu.metrics import CHRF

    streams = _streams(refs)  # None marks a missing reference, which sacrebleu accepts
    return float(CHRF(word_order=word_order).corpus_score(list(hyps), streams).score) / 100.0  # type: ignore[arg-type]


MAX_LABELS = 12  # labels a confusion matrix shows by default; the rest are summed as "other"


def fold_labels(
    labels: Sequence[Any], matrix: Sequence[Sequence[int]], keep: int
) -> tuple[list[str], list[list[int]]]:
    """At most ``keep`` labels (the most frequent, expected + predicted) in their order,
    the others summed into one ``other`` row and column: the one rule of the console's
    and the report's confusion matrices."""
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


def from_results(results: Sequence[Any]) -> dict[str, Any]:
    """Corpus figures for one group of ``CaseResult``s (what the summary calls).

    Looks at each result's assertions: ``classification`` details give the label pairs,
    ``bleu`` / ``chrf`` details give the references. Errored results are left out.
    Returns only the figures that apply, e.g. ``{"classification": {...}, "bleu": 0.41}``;
    the classification carries ``max_labels`` when an assertion set it (the smallest).
    """
    pairs: list[tuple[str | None, str | None]] = []
    caps: list[int] = []
    bleu_h: list[str] = []
    bleu_r: list[list[str]] = []
    chrf_h: list[str] = []
    chrf_r: list[list[str]] = []
    for res in results:
        if res.status == "error" or res.output is None:
            continue
        for a in res.assertions:
            d = a.details or {}
            kind = a.type.removeprefix("not-")
            if kind == "classification" and "expected" in d:
                pairs.append((d.get("expected"), d.get("predicted")))
                if isinstance(d.get("max_labels"), int):
                    caps.append(d["max_labels"])
            elif kind == "bleu" and d.get("references"):
                bleu_h.append(res.output)
                bleu_r.append(list(d["references"]))
            elif kind == "chrf" and d.get("references"):
                chrf_h.append(res.output)
                chrf_r.append(list(d["references"]))
    out: dict[str, Any] = {}
    if pairs:
        out["classification"] = classification_report(pairs)
        if caps:
            out["classification"]["max_labels"] = min(caps)
    if bleu_h:
        out["bleu"] = corpus_bleu(bleu_h, bleu_r)
    if chrf_h:
        out["chrf"] = corpus_chrf(chrf_h, chrf_r)
    return out
