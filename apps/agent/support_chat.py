"""A deterministic support chat for the bundled conversation suite: it reads the whole
history it is given (llmeval sends it every turn), remembers the customer's name and
order number from earlier turns and answers from apps/agent/orders.json.

Its honest weakness: it keeps the first order number it heard, so a customer who
corrects it later is answered about the wrong order.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_ORDERS = json.loads((Path(__file__).parent / "orders.json").read_text(encoding="utf-8"))
_ORDER = re.compile(r"\bBL-\d{5}\b")
_NAME = re.compile(r"\b(?i:I'm|I am|my name is)\s+([A-Z][a-z]+)")


def reply(messages: list[dict[str, Any]]) -> str:
    said = [m["content"] for m in messages if m["role"] == "user"]
    last = said[-1]
    names = [n for text in said for n in _NAME.findall(text)]
    orders = [o for text in said for o in _ORDER.findall(text)]
    name = names[0] if names else None
    order = orders[0] if orders else None  # the first one heard (its weakness)
    low = last.lower()
    if "my name" in low and "?" in last:
        return f"You are {name}." if name else "You have not told me your name yet."
    if any(w in low for w in ("arrive", "when", "where is", "status")):
        if order is None:
            return "Which order do you mean? It looks like BL-12345."
        info = _ORDERS.get(order)
        if info is None:
            return f"I cannot find order {order}."
        if info["status"] == "delivered":
            return f"Order {order} was delivered on {info['eta']}."
        return f"Order {order} is {info['status']} and should arrive by {info['eta']}."
    if "thank" in low or "bye" in low:
        return f"You're welcome{', ' + name if name else ''}. Goodbye!"
    greeting = f"Hello {name}!" if name and _NAME.search(last) else "Noted."
    noted = f" I have noted order {_ORDER.findall(last)[0]}." if _ORDER.search(last) else ""
    return f"{greeting}{noted} How can I help?"
