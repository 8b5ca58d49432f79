"""The classification assertion and the suite-level report (scikit-learn parity)."""

from __future__ import annotations

from typing import Any

import pytest
import sacrebleu
from metric_harness import check
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from llmeval.analysis.corpus import (
    classification_report,
    corpus_bleu,
    corpus_chrf,
    from_results,
)
from llmeval.domain.record import AssertionResult, CaseResult

LABELS = {"labels": ["billing", "refund", "shipping"]}

# (output, expected, options, passed, predicted)
CASES: list[tuple[str, str, dict[str, Any], bool | None, str | None]] = [
    ("billing", "billing", {}, True, "billing"),
    ("  Billing.  ", "billing", {}, True, "billing"),
    ('"Refund!"', "refund", {}, True, "refund"),
    ("Billing", "billing", {"normalize": False}, False, "Billing"),
    ("shipping", "billing", LABELS, False, "shipping"),
    ("weather", "billing", LABELS, False, "weather"),  # outside the label set
    ("money back", "refund", {**LABELS, "map": {"Money back": "refund"}}, True, "refund"),
    ("Intent: Refund\nbecause...", "refund", {"extract": r"Intent:\s*(\w+)"}, True, "refund"),
    ("I am not sure", "refund", {"extract": r"Intent:\s*(\w+)"}, False, None),
    ("Billing", "BILLING", {"labels": ["Billing", "Refund"]}, True, "Billing"),
]


@pytest.mark.parametrize(("output", "expected", "options", "passed", "predicted"), CASES)
def test_classification(
    output: str, expected: str, options: dict[str, Any], passed: bool, predicted: str | None
) -> None:
    r = check("classification", output, expected=expected, options=options)
    assert r.passed is passed, r.reason
    assert r.details is not None and r.details["predicted"] == predicted


def test_value_overrides_expected_and_not_inverts() -> None:
    assert check("classification", "refund", "refund", expected="billing").passed is True
    assert check("not-classification", "refund", expected="billing").passed is True


def test_missing_expected_or_unknown_expected_label_is_an_error() -> None:
    assert check("classification", "refund").status == "error"
    r = check("classification", "refund", expected="weather", options=LABELS)
    assert r.passed is None


Y_TRUE = ["billing", "refund", "refund", "shipping", "billing", "refund", "shipping", "billing"]
Y_PRED = ["billing", "refund", "billing", "shipping", "billing", "shipping", "refund", None]


def test_classification_report_matches_sklearn() -> None:
    report = classification_report(list(zip(Y_TRUE, Y_PRED, strict=True)))
    y_pred = ["(none)" if p is None else p for p in Y_PRED]
    labels = report["labels"]
    assert labels == sorted(set(Y_TRUE) | set(y_pred))
    assert report["accuracy"] == accuracy_score(Y_TRUE, y_pred)
    assert report["confusion_matrix"] == confusion_matrix(Y_TRUE, y_pred, labels=labels).tolist()
    for avg in ("macro", "micro", "weighted"):
        p, r, f, _ = precision_recall_fscore_support(
            Y_TRUE, y_pred, labels=labels, average=avg, zero_division=0
        )
        assert abs(report[avg]["precision"] - p) < 1e-9
        assert abs(report[avg]["recall"] - r) < 1e-9
        assert abs(report[avg]["f1"] - f) < 1e-9
    p, r, f, s = precision_recall_fscore_support(Y_TRUE, y_pred, labels=labels, zero_division=0)
    for i, label in enumerate(labels):
        assert report["per_label"][label]["f1"] == pytest.approx(f[i], abs=1e-12)
        assert report["per_label"][label]["support"] == s[i]


def test_report_keeps_a_given_label_order_and_handles_empty() -> None:
    report = classification_report([("b", "a")], labels=["b", "a", "c"])
    assert report["labels"] == ["b", "a", "c"]
    assert report["confusion_matrix"] == [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    assert classification_report([])["n"] == 0


HYPS = ["The cat sat on the mat.", "Returns within 30 days.", "Refunds take a week."]
REFS = [
    ["The cat is on the mat."],
    ["You can return items within 30 days.", "30-day returns."],
    ["Refunds take 5-7 days."],
]


def test_corpus_bleu_and_chrf_match_sacrebleu_with_variable_references() -> None:
    streams = [[r[0] for r in REFS], [r[1] if len(r) > 1 else None for r in REFS]]
    assert abs(corpus_bleu(HYPS, REFS) - sacrebleu.corpus_bleu(HYPS, streams).score / 100) < 1e-9
    assert abs(corpus_chrf(HYPS, REFS) - sacrebleu.corpus_chrf(HYPS, streams).score / 100) < 1e-9
    assert corpus_bleu([], []) is None
    with pytest.raises(ValueError):
        corpus_bleu(HYPS, REFS[:2])


def _result(
    case_id: str, output: str, *assertions: AssertionResult, status: str = "pass"
) -> CaseResult:
    return CaseResult(
        run_id="r", suite="s", case_id=case_id, model="m", prompt="p@v1", prompt_sha="x",
        repeat=0, status=status, score=1.0, output=output, assertions=assertions,
    )  # fmt: skip


def test_from_results_collects_details_from_the_journal_shape() -> None:
    results = [
        _result(
            "a",
            HYPS[0],
            check("classification", "billing", expected="billing"),
            check("bleu", HYPS[0], REFS[0]),
        ),
        _result("b", HYPS[1], check("classification", "refund", expected="billing"), status="fail"),
        _result("c", "boom", check("classification", "x", expected="y"), status="error"),
    ]
    out = from_results(results)
    assert out["classification"]["n"] == 2
    assert out["classification"]["accuracy"] == 0.5
    assert abs(out["bleu"] - corpus_bleu([HYPS[0]], [REFS[0]])) < 1e-12
    assert "chrf" not in out
