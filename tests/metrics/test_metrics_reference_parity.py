"""Metric values equal the reference libraries' to 1e-9 on fixtures; promptfoo's ROUGE-N
(js-rouge) matches its own test examples."""

from __future__ import annotations

import pytest
import sacrebleu
from metric_harness import check
from rouge_score import rouge_scorer

from llmeval.metrics.treebank import rouge_n, tokenize

FIXTURES: list[tuple[str, list[str]]] = [
    ("The cat sat on the mat.", ["The cat is sitting on the mat."]),
    ("You can return items within 30 days.", ["Returns are accepted within 30 days of purchase."]),
    (
        "Refunds take 5-7 business days",
        ["Refunds are processed in 5 to 7 business days.", "About a week."],
    ),
    ("completely unrelated text", ["The quick brown fox jumps over the lazy dog"]),
    ("Paris is the capital of France.", ["Paris is the capital of France."]),
    ("running runners ran quickly", ["the runner runs quick"]),
]
TOL = 1e-9


@pytest.mark.parametrize(("hyp", "refs"), FIXTURES)
@pytest.mark.parametrize(
    ("name", "kind"), [("rouge-1", "rouge1"), ("rouge-2", "rouge2"), ("rouge-l", "rougeL")]
)
@pytest.mark.parametrize("stem", [False, True])
def test_rouge_matches_rouge_score(
    hyp: str, refs: list[str], name: str, kind: str, stem: bool
) -> None:
    scorer = rouge_scorer.RougeScorer([kind], use_stemmer=stem)
    want = max(scorer.score(r, hyp)[kind].fmeasure for r in refs)
    got = check(name, hyp, refs, options={"stem": stem})
    assert abs(got.score - want) < TOL


@pytest.mark.parametrize(("hyp", "refs"), FIXTURES)
def test_bleu_matches_sacrebleu_sentence_bleu(hyp: str, refs: list[str]) -> None:
    want = sacrebleu.sentence_bleu(hyp, refs).score / 100
    got = check("bleu", hyp, refs)
    assert abs(got.score - want) < TOL
    assert "ter" not in got.details  # opt-in on bleu: it costs ~4x BLEU itself
    with_ter = check("bleu", hyp, refs, options={"ter": True})
    assert abs(with_ter.details["ter"] - sacrebleu.sentence_ter(hyp, refs).score / 100) < TOL
    assert got.details["references"] == refs


@pytest.mark.parametrize(("hyp", "refs"), FIXTURES)
def test_bleu_options_match_sacrebleu(hyp: str, refs: list[str]) -> None:
    want = sacrebleu.sentence_bleu(
        hyp, refs, lowercase=True, tokenize="intl", smooth_method="floor"
    )
    got = check(
        "bleu", hyp, refs, options={"lowercase": True, "tokenize": "intl", "smooth": "floor"}
    )
    assert abs(got.score - want.score / 100) < TOL


@pytest.mark.parametrize(("hyp", "refs"), FIXTURES)
@pytest.mark.parametrize("word_order", [0, 2])
def test_chrf_matches_sacrebleu(hyp: str, refs: list[str], word_order: int) -> None:
    want = sacrebleu.sentence_chrf(hyp, refs, word_order=word_order).score / 100
    got = check("chrf", hyp, refs, options={"word_order": word_order})
    assert abs(got.score - want) < TOL


def test_reference_from_case_expected_list() -> None:
    hyp, refs = FIXTURES[2]
    got = check("chrf", hyp, expected=refs)
    assert abs(got.score - sacrebleu.sentence_chrf(hyp, refs).score / 100) < TOL


def test_ter_can_be_turned_off() -> None:
    assert "ter" not in check("bleu", "a b c", "a b c", options={"ter": False}).details


# --- promptfoo's rouge-n (js-rouge) on js-rouge's own examples ---------------------------

CAND = "pulses may ease schizophrenic voices"
REFS = [
    "magnetic pulse series sent through brain may ease schizophrenic voices",
    "yale finds magnetic stimulation some relief to schizophrenics imaginary voices",
]


def test_js_rouge_examples() -> None:
    """js-rouge 3.2.0's test/tests.ts: ROUGE-N is an F1 (beta 1) since 3.1."""
    assert rouge_n(CAND, REFS[0], 2) == 6 / 13
    assert rouge_n(CAND, REFS[1], 2) == 0
    assert rouge_n("Hello World", "hello world", 1) == 0  # case-sensitive by default
    assert check("rouge-n", CAND, REFS[0], options={"n": 2}).score == 6 / 13


def test_rouge_n_text_shorter_than_n_is_an_error() -> None:
    """js-rouge's nGram throws RangeError when there are fewer tokens than n."""
    err = check("rouge-n", "one", "two words here", options={"n": 2})
    assert err.status == "error"


def test_rouge_n_empty_reference_is_an_error_empty_output_scores_zero() -> None:
    assert rouge_n("", "some reference") == 0
    err = check("rouge-n", "x", "")
    assert err.passed is None and err.status == "error"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("They'll save and invest more.", ["They", "'ll", "save", "and", "invest", "more", "."]),
        ("hi, my name can't hello,", ["hi", ",", "my", "name", "ca", "n't", "hello", ","]),
        (
            "Good muffins cost $3.88 in New York.",
            ["Good", "muffins", "cost", "$", "3.88", "in", "New", "York", "."],
        ),
        (
            '"We beat some pretty good teams to get here," Slocum said.',
            [
                "``",
                "We",
                "beat",
                "some",
                "pretty",
                "good",
                "teams",
                "to",
                "get",
                "here",
                ",",
                "''",
                "Slocum",
                "said",
                ".",
            ],
        ),
        ("", []),
        # js-rouge 3.2.0 (what promptfoo 0.123 installs) splits a final period even
        # after an acronym; later js-rouge commits keep "U.S." whole
        ("I live in the U.S.", ["I", "live", "in", "the", "U.S", "."]),
    ],
)
def test_treebank_tokenizer_matches_js_rouge(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens
