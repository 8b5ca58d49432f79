"""Properties of the pure metrics (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from metric_harness import check

from llmeval.metrics.text import exact_match, squad_normalize, token_f1
from llmeval.metrics.treebank import rouge_n
from llmeval.metrics.values import parse_comma_separated

words = st.lists(
    st.sampled_from(["the", "a", "cat", "Cat", "sat", "mat", "on", "30", "days", "refund", "."]),
    max_size=12,
).map(" ".join)
texts = st.one_of(words, st.text(max_size=40))


@given(texts, texts)
def test_f1_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert token_f1(a, b) == token_f1(b, a)
    assert 0.0 <= token_f1(a, b) <= 1.0


@given(texts)
def test_exact_match_and_f1_are_reflexive(a: str) -> None:
    assert exact_match(a, a) == 1.0
    assert token_f1(a, a) == 1.0


@given(texts)
def test_squad_normalize_is_idempotent(a: str) -> None:
    assert squad_normalize(squad_normalize(a)) == squad_normalize(a)


@given(texts, words.filter(lambda s: s.strip() != ""))
def test_rouge_n_is_bounded(cand: str, ref: str) -> None:
    assert 0.0 <= rouge_n(cand, ref) <= 1.0


@settings(max_examples=30, deadline=None)
@given(words, words)
def test_overlap_scores_are_in_unit_interval(hyp: str, ref: str) -> None:
    for name in ("rouge-1", "rouge-l", "bleu", "chrf", "f1", "exact-match"):
        r = check(name, hyp, ref)
        if r.score is not None:  # an empty reference cannot be scored by every metric
            assert 0.0 <= r.score <= 1.0, name


@settings(max_examples=30, deadline=None)
@given(words, words)
def test_not_prefix_flips_the_verdict(out: str, value: str) -> None:
    for name in ("contains", "icontains", "starts-with", "rouge-n", "f1"):
        if not value:
            continue
        plain, inverted = check(name, out, value), check("not-" + name, out, value)
        if plain.passed is not None:
            assert inverted.passed is (not plain.passed), name


@given(st.lists(st.text(alphabet="abc xyz", min_size=1).map(str.strip).filter(bool), min_size=1))
def test_comma_list_round_trips_quoted_fields(items: list[str]) -> None:
    quoted = ",".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
    assert parse_comma_separated(quoted) == items
