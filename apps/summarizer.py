"""Offline extractive summariser: lead sentence plus the most central sentence.

The classic non-LLM baseline for summaries (the "lead" baseline of news
summarisation, with a word-frequency score for the second sentence). It copies
sentences, never rewrites them, so it is only as good as the text's own wording.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

MAX_SENTENCES = 2
MAX_WORDS = 60
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_WORD = re.compile(r"[a-z0-9']+")
_STOPWORD_TEXT = """
a an and are as at be been but by can could do does did for from had has have he her
his i if in into is it its me my no not of on or our she so that the their them then
there they this to too very was we were what when which who will with would you your
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(" ".join(text.split())) if s.strip()]


def _content(sentence: str) -> list[str]:
    return [w for w in _WORD.findall(sentence.lower()) if w not in _STOPWORDS]


def summarize_text(
    text: str, max_sentences: int = MAX_SENTENCES, max_words: int = MAX_WORDS
) -> str:
    """The first sentence plus the highest-scoring others, in text order, within ``max_words``."""
    sents = sentences(text)
    if not sents:
        return ""
    freq = Counter(w for s in sents for w in _content(s))

    def centrality(i: int) -> float:
        words = _content(sents[i])
        # mean frequency of its words: sentences about the text's main topic score high
        return sum(freq[w] for w in words) / (len(words) or 1)

    rest = sorted(range(1, len(sents)), key=lambda i: (-centrality(i), i))
    chosen = sorted([0, *rest[: max_sentences - 1]])
    out: list[str] = []
    for i in chosen:
        words = sents[i].split()
        if out and len(out) + len(words) > max_words:
            break
        out.extend(words)
    return " ".join(out[:max_words])


def summarize(vars: dict[str, Any]) -> str:
    """llmeval python target: a short summary of ``vars['text']``."""
    return summarize_text(str(vars.get("text", "")))
