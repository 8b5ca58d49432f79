"""Offline intent router: weighted keyword rules, one label per message.

The kind of rule-based router a support team runs before (or next to) an LLM
classifier. Each label has phrases with weights; the label with the highest total
wins, ties go to the label listed first, and no match at all is ``other``.

Known limits: it reads words, not meaning, so a message that mentions one topic
while asking about another (or uses none of the listed words) is misrouted.
"""

from __future__ import annotations

import re
from typing import Any

LABELS = ("billing", "shipping", "returns", "account", "technical", "other")

# phrase -> weight; multi-word phrases are stronger evidence than single words
# fmt: off
RULES: dict[str, dict[str, float]] = {
    "billing": {
        "charge": 2, "charged": 2, "invoice": 2, "receipt": 1, "payment": 1.5, "pay": 1,
        "card": 1, "billing": 2, "billed": 2, "paypal": 1.5, "klarna": 1.5, "vat": 1.5,
        "price": 1, "discount": 1, "coupon": 1, "promo code": 1.5, "gift card": 1,
        "twice": 1, "overcharged": 2.5, "subscription": 1, "transaction": 2, "pending": 1.5,
        "bank statement": 2,
    },
    "shipping": {
        "shipping": 2, "shipped": 2, "delivery": 2, "delivered": 2, "deliver": 2,
        "tracking": 2, "track": 1.5, "courier": 2, "parcel": 2, "package": 1.5,
        "arrive": 1.5, "arrived": 1, "where is my order": 3, "dispatch": 2, "express": 1,
        "address": 1, "late": 1, "customs": 2, "duties": 2,
    },
    "returns": {
        "return": 2.5, "returns": 2.5, "returning": 2.5, "refund": 2.5, "exchange": 2,
        "send it back": 3, "send back": 3, "money back": 2.5, "broken": 1, "damaged": 1,
        "doesn't fit": 1.5, "wrong size": 2, "faulty": 1, "warranty": 1.5,
        "wrong item": 2.5, "changed my mind": 2.5,
    },
    "account": {
        "password": 2.5, "log in": 2, "login": 2, "sign in": 2, "account": 1.5,
        "email address": 1.5, "username": 2, "delete my": 1.5, "profile": 1.5,
        "newsletter": 1.5, "unsubscribe": 2, "locked": 1.5, "two-factor": 2, "2fa": 2,
        "rewards": 1, "points": 1,
    },
    "technical": {
        "error": 2, "bug": 2, "crash": 2, "crashes": 2, "app": 1.5, "website": 1.5,
        "page": 1, "loading": 1.5, "won't load": 2.5, "blank": 1.5, "button": 1.5,
        "checkout": 1, "browser": 2, "not working": 1.5, "500": 1.5, "404": 1.5, "glitch": 2,
        "freezes": 2,
    },
}
# fmt: on


def _score(text: str, phrases: dict[str, float]) -> float:
    padded = " " + " ".join(re.findall(r"[a-z0-9'-]+", text.lower())) + " "
    return sum(w for p, w in phrases.items() if f" {p} " in padded)


def scores(text: str) -> dict[str, float]:
    """The total rule weight of each label for ``text``."""
    return {label: _score(text, phrases) for label, phrases in RULES.items()}


def route(text: str) -> str:
    totals = scores(text)
    best = max(totals.values(), default=0.0)
    if best <= 0:
        return "other"
    return next(label for label in LABELS if totals.get(label) == best)


def classify(vars: dict[str, Any]) -> str:
    """llmeval python target: the intent label of ``vars['text']``."""
    return route(str(vars.get("text", "")))
