"""promptfoo's ``rouge-n``: js-rouge 3.2.0's ROUGE-N, ported so scores match promptfoo's.

promptfoo 0.123 calls ``rouge.n(output, value, {})`` from js-rouge ^3.2.0. Since
js-rouge 3.1 that is an **F1** over n-grams (precision against the candidate, recall
against the reference; before 3.1 it was recall only), still case-sensitive by
default, with a *set* intersection of n-grams and the Penn Treebank tokenizer below.
A text with fewer tokens than ``n`` is an error in js-rouge (``RangeError``);
``rouge-1/2/l`` use rouge-score instead.
"""

from __future__ import annotations

import re

_CONTRACTIONS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\b(can)(not)\b",
        r"\b(d)('ye)\b",
        r"\b(gim)(me)\b",
        r"\b(gon)(na)\b",
        r"\b(got)(ta)\b",
        r"\b(lem)(me)\b",
        r"\b(more)('n)\b",
        r"\b(wan)(na) ",
        r" ('t)(is)\b",
        r" ('t)(was)\b",
    )
]
_STEPS = [  # js-rouge 3.2.0 treeBankTokenize, in its order
    (re.compile(r'^"'), " `` "),
    (re.compile(r'([ (\[{<])"'), r"\1 `` "),
    (re.compile(r"\.\.\.*"), " ... "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    (re.compile(r"([^.])(\.)([\])}>\"']*)\s*$"), r"\1 \2\3 "),
    (re.compile(r"[,?!]"), r" \g<0> "),
    (re.compile(r"[\][(){}<>]"), r" \g<0> "),
    (re.compile(r"---*"), " -- "),
]
_QUOTES = [
    (re.compile(r'"'), " '' "),
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"'([sSmMdD]) "), r" '\1 "),
    (re.compile(r"('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r" \1 "),
]


def tokenize(text: str) -> list[str]:
    if not text:
        return []
    parse = text
    for rx, rep in _STEPS:
        parse = rx.sub(rep, parse)
    parse = f" {parse} "
    for rx, rep in _QUOTES:
        parse = rx.sub(rep, parse)
    for rx in _CONTRACTIONS:
        parse = rx.sub(r" \1 \2 ", parse, count=1)
    parse = re.sub(r" {2,}", " ", parse)
    parse = re.sub(r"^ | $", "", parse)
    return parse.split(" ")


def ngrams(tokens: list[str], n: int) -> list[str]:
    if len(tokens) < n:
        raise ValueError(f"fewer than {n} token(s) for {n}-grams")
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def rouge_n(candidate: str, reference: str, n: int = 1) -> float:
    """js-rouge 3.2.0 ``n(candidate, reference, {n})``: the F1 of the n-gram sets.

    Raises ValueError on an empty reference or a text shorter than ``n`` tokens;
    an empty candidate scores 0 (js-rouge throws: promptfoo reports it as a failure).
    """
    if not reference:
        raise ValueError("reference is empty")
    if not candidate:
        return 0.0
    ref = ngrams(tokenize(reference), n)
    cand = ngrams(tokenize(candidate), n)
    match = len(set(cand) & set(ref))
    if match == 0:
        return 0.0
    precision, recall = match / len(cand), match / len(ref)
    return 2 * precision * recall / (precision + recall)
