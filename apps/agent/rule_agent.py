"""A deterministic, rule-based stand-in for a tool-calling model (no network, no key).

llmeval runs the tool loop around it exactly as around a real model: it receives the
message history and the declared tools, and answers either with tool calls
(``{"output": "", "tool_calls": [...]}``) or with text. Rules: an order id written
``BL-12345`` asks ``order_status``; "in stock" / "available" with a catalogue product
asks ``stock_level``; once the results are in, it writes the answer from them. It does
not understand an id written without its dash, nor a product it has no alias for:
those are the suite's honest failures. Run a real model with ``-m``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

_ORDER = re.compile(r"\bBL-\d{5}\b")
_CATALOG = json.loads(
    (Path(__file__).parent.parent / "kb" / "catalog.json").read_text(encoding="utf-8")
)


def _product(text: str) -> str | None:
    low = text.lower()
    for item in _CATALOG:
        for alias in sorted(item["aliases"], key=len, reverse=True):
            if alias in low:
                return alias
    return None


def _calls(text: str, tools: set[str]) -> list[dict[str, Any]]:
    calls = []
    for i, order_id in enumerate(dict.fromkeys(_ORDER.findall(text))):
        if "order_status" in tools:
            calls.append(
                {"id": f"call_o{i}", "name": "order_status", "arguments": {"order_id": order_id}}
            )
    product = _product(text)
    if product and re.search(r"in stock|available", text, re.I) and "stock_level" in tools:
        calls.append({"id": "call_s0", "name": "stock_level", "arguments": {"product": product}})
    return calls


def _sentence(result: str) -> str:
    try:
        data = json.loads(result)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        # the tool failed: its error text came back instead of a result
        return f"I could not look that up ({result.removeprefix('error: ')})."
    if "order_id" in data:
        if data["status"] == "delivered":
            return f"Order {data['order_id']} was delivered on {data['eta']}."
        via = f" with {data['carrier']}" if data.get("carrier") else ""
        return f"Order {data['order_id']} is {data['status']}{via}, arriving by {data['eta']}."
    if data["in_stock"] > 0:
        return f"Yes, the {data['product']} is in stock ({data['in_stock']} available)."
    return f"Sorry, the {data['product']} is out of stock."


def respond(messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict[str, Any]:
    last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
    results = [m["content"] for m in messages[last_user + 1 :] if m["role"] == "tool"]
    if results:
        return {"output": " ".join(_sentence(r) for r in results)}
    names = {t["function"]["name"] for t in tools}
    calls = _calls(messages[last_user]["content"], names)
    if calls:
        return {"output": "", "tool_calls": calls}
    return {"output": "Could you give me your order number (it looks like BL-12345)?"}
