"""Offline order extractor: regular expressions and the product catalogue.

Turns a customer email into the JSON the order desk needs:
``{"order_id", "customer_email", "items": [{"product", "quantity"}], "urgency"}``.
It is the rule-based baseline an LLM extractor is compared with.

Known limits: quantities written as words ("two mugs") count as 1, products the
customer mentions but does not order are still listed, and urgency is only seen
when stated with one of the usual words.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOG_PATH = Path(__file__).parent / "kb" / "catalog.json"
SHOP_DOMAIN = "brightleaf.example"  # our own addresses are not the customer's

ORDER_ID = re.compile(r"\bBL-?(\d{5})\b", re.IGNORECASE)
EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
# "3 stoneware mugs", "2 x rug", "2 of the blue mugs": a number (not part of an id,
# price or phone number) up to three words before the product
QTY_BEFORE = re.compile(r"(?<![\d$£€.,-])(\d{1,3})\s*(?:x|×)?\s*(?:[a-z]+\s+){0,3}$")
# "mug x 3", "rug (qty 2)", "kettle - quantity: 2"
QTY_AFTER = re.compile(r"^\s*[-(]?\s*(?:x|×|qty:?|quantity:?)\s*(\d+)")
LOW = ("no rush", "no hurry", "not urgent", "whenever", "not in a hurry", "take your time")
HIGH = ("urgent", "asap", "as soon as possible", "immediately", "right away", "today", "tomorrow")


@lru_cache(maxsize=1)
def catalog() -> list[dict[str, Any]]:
    return list(json.loads(CATALOG_PATH.read_text(encoding="utf-8")))


def order_id(text: str) -> str | None:
    m = ORDER_ID.search(text)
    return f"BL-{m.group(1)}" if m else None


def customer_email(text: str) -> str | None:
    for m in EMAIL.finditer(text):
        if not m.group(0).lower().endswith("@" + SHOP_DOMAIN):
            return m.group(0).lower()
    return None


def items(text: str) -> list[dict[str, Any]]:
    """Catalogue products in order of first mention, with their quantities (default 1)."""
    low = text.lower()
    aliases = sorted(
        ((alias, p["name"]) for p in catalog() for alias in p["aliases"]),
        key=lambda pair: -len(pair[0]),
    )
    taken: list[tuple[int, int]] = []
    found: dict[str, tuple[int, int]] = {}  # product -> (position, quantity)
    for alias, name in aliases:  # longest first, so "table lamp" wins over "table"
        for m in re.finditer(rf"(?<![a-z]){re.escape(alias)}(?:e?s)?(?![a-z])", low):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            taken.append((m.start(), m.end()))
            before = QTY_BEFORE.search(low[max(0, m.start() - 40) : m.start()])
            after = QTY_AFTER.search(low[m.end() : m.end() + 20])
            qty = int(after.group(1)) if after else int(before.group(1)) if before else 1
            if name not in found or m.start() < found[name][0]:
                found[name] = (m.start(), qty)
    ordered = sorted(found.items(), key=lambda kv: kv[1][0])
    return [{"product": name, "quantity": qty} for name, (_, qty) in ordered]


def urgency(text: str) -> str:
    low = text.lower()
    if any(word in low for word in LOW):
        return "low"
    # a word start, so "urgently" counts as "urgent"
    if any(re.search(rf"\b{re.escape(word)}", low) for word in HIGH):
        return "high"
    return "normal"


def extract_order(text: str) -> dict[str, Any]:
    return {
        "order_id": order_id(text),
        "customer_email": customer_email(text),
        "items": items(text),
        "urgency": urgency(text),
    }


def extract(vars: dict[str, Any]) -> str:
    """llmeval python target: the order JSON (a string) for ``vars['email']``."""
    return json.dumps(extract_order(str(vars.get("email", ""))), ensure_ascii=False)
