"""Offline FAQ bot: TF-IDF retrieval over the shop's knowledge base.

The non-LLM baseline a support team compares its LLM with. It answers with the
single best-matching fact from ``kb/faq.json`` verbatim, and declines when no
fact is similar enough. Deterministic, pure Python, no network.

Known limits (the bundled suite shows them honestly): it cannot combine two
facts, and a question that shares words with a fact but is out of scope gets
that fact instead of a refusal.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

KB_PATH = Path(__file__).parent / "kb" / "faq.json"
MIN_SIMILARITY = 0.2  # below this the bot declines rather than guess
DECLINE = (
    "I'm sorry, I couldn't find an answer to that in our help centre. "
    "Please contact our support team at help@brightleaf.example and a person will help you."
)
_STOPWORD_TEXT = """
a an and are as at be been but by can could do does did for from get got have has
how i if in is it its it's me my of on or our please so that the their then there
this to was we what when where which who why will with would you your i'm i've im
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_TOKEN = re.compile(r"[a-z0-9$]+")


def tokens(text: str) -> list[str]:
    """Lower-cased content words with a crude suffix stem, so 'returns' meets 'return'."""
    out = []
    for word in _TOKEN.findall(text.lower().replace("'", "")):
        if word in _STOPWORDS:
            continue
        for suffix in ("ing", "ed", "es", "s"):
            if len(word) > len(suffix) + 3 and word.endswith(suffix):
                word = word[: -len(suffix)]
                break
        out.append(word)
    return out


class Index:
    """A TF-IDF index of the facts; each fact's text is question, answer and keywords."""

    def __init__(self, facts: list[dict[str, Any]]) -> None:
        self.facts = facts
        docs = [
            Counter(tokens(f["question"] + " " + f["answer"] + " " + " ".join(f["keywords"])))
            for f in facts
        ]
        df = Counter(term for doc in docs for term in doc)
        n = len(docs)
        self.idf = {t: math.log((n + 1) / (c + 1)) + 1.0 for t, c in df.items()}
        self.vectors = [self._weigh(doc) for doc in docs]

    def _weigh(self, counts: Counter[str]) -> dict[str, float]:
        vec = {t: (1.0 + math.log(c)) * self.idf.get(t, 0.0) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    def search(self, query: str) -> list[tuple[float, dict[str, Any]]]:
        """Facts by cosine similarity to ``query``, best first."""
        q = self._weigh(Counter(tokens(query)))
        scored = [
            (sum(w * vec.get(t, 0.0) for t, w in q.items()), fact)
            for vec, fact in zip(self.vectors, self.facts, strict=True)
        ]
        return sorted(scored, key=lambda pair: -pair[0])


@lru_cache(maxsize=1)
def index() -> Index:
    return Index(json.loads(KB_PATH.read_text(encoding="utf-8")))


def answer(vars: dict[str, Any]) -> str:
    """llmeval python target: answer ``vars['question']`` from the knowledge base."""
    question = str(vars.get("question", ""))
    hits = index().search(question)
    if not hits or hits[0][0] < MIN_SIMILARITY:
        return DECLINE
    return str(hits[0][1]["answer"])
