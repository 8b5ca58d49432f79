"""The console summary stays bounded and inert whatever the results hold."""

from __future__ import annotations

from llmeval.report.console import MAX_LABELS, fold_labels


def test_fold_labels_keeps_the_most_frequent_and_sums_the_rest() -> None:
    labels = ["a", "b", "c", "d"]
    matrix = [
        [5, 0, 0, 1],
        [0, 3, 1, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 1],
    ]
    names, folded = fold_labels(labels, matrix, keep=3)
    assert names == ["a", "b", "other (2)"]
    assert folded == [[5, 0, 1], [0, 3, 1], [0, 0, 2]]
    assert sum(map(sum, folded)) == sum(map(sum, matrix))


def test_fold_labels_leaves_small_matrices_alone() -> None:
    names, folded = fold_labels(["x", "y"], [[1, 2], [3, 4]], keep=MAX_LABELS)
    assert names == ["x", "y"] and folded == [[1, 2], [3, 4]]
