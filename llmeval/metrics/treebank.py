"""promptfoo's ``rouge-n``: js-rouge's ROUGE-N, ported so scores match promptfoo's.

js-rouge tokenises with a Penn Treebank tokenizer (case-sensitive), and scores
``|set(candidate n-grams) ∩ set(reference n-grams)| / len(reference n-grams)`` — a
recall over the reference's n-gram list with a *set* intersection. We keep that
exactly so promptfoo users get the same pass/fail; ``rouge-1/2/l`` use rouge-score.
"""

from __future__ import annotations

import re

_QUOTES = re.compile(r"``|''|\"")
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
_STEPS = [
    (re.compile(r"\.{3}"), " ... "),
    (re.compile(r"[:,](?!\d)"), r" \g<0> "),
    (re.compile(r"[;@#$%&]"), r" \g<0> "),
    # a final period (not an acronym like "U.S.") and any closing brackets/quotes after it
    (re.compile(r"([^.])(?<!\b[A-Za-z]\.[A-Za-z])(\.)([\])}>'\s]*)\Z"), r"\1 \2\3 "),
    (re.compile(r"[?!]"), r" \g<0> "),
    (re.compile(r"[\][(){}<>]"), r" \g<0> "),
    (re.compile(r"--"), " -- "),
]
_APOSTROPHES = [
    (re.compile(r"([^'])' "), r"\1 ' "),
    (re.compile(r"'([sSmMdD]) "), r" '\1 "),
    (re.compile(r"('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r" \1 "),
]


def _opens(text: str, i: int, inside: bool) -> bool:
    return not inside and (i == 0 or text[i - 1] in " ([{<")


def _classify_quotes(text: str) -> str:
    """Opening double quotes become ``, closing ones ''."""
    inside = False

    def repl(m: re.Match[str]) -> str:
        nonlocal inside
        q, i = m.group(0), m.start()
        nxt = _QUOTES.search(text, i + 2)
        after = text[i + 2] if i + 2 < len(text) else ""
        inside = q == "``" or (
            _opens(text, i, inside)
            and (
                q == '"' or (i > 0 and after.isalnum() and nxt is not None and nxt.group(0) == "''")
            )
        )
        return " `` " if inside else " '' "

    return _QUOTES.sub(repl, text)


def tokenize(text: str) -> list[str]:
    text = " ".join(text.split())
    if not text:
        return []
    parse = _classify_quotes(text)
    for rx, rep in _STEPS:
        parse = rx.sub(rep, parse)
    parse = f" {parse} "
    for rx, rep in _APOSTROPHES:
        parse = rx.sub(rep, parse)
    for rx in _CONTRACTIONS:
        parse = rx.sub(r" \1 \2 ", parse, count=1)
    return parse.split()


def ngrams(tokens: list[str], n: int) -> list[str]:
    return [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def rouge_n(candidate: str, reference: str, n: int = 1) -> float:
    """js-rouge ``n(candidate, reference, {n})``; raises ValueError on an empty reference."""
    ref = ngrams(tokenize(reference), n)
    if not ref:
        raise ValueError(f"reference has fewer than {n} token(s)")
    cand = set(ngrams(tokenize(candidate), n))
    return len(cand & set(ref)) / len(ref)
