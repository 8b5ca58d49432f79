"""The tools of the bundled tool-calling suite (``tools_impl`` of suites/tool-calling.yaml).

Each top-level public function is one declared tool, called with the model's arguments
by keyword; what it returns is sent back to the model as the tool result. A tool that
raises sends its error text instead (the loop records it as the step's error).
"""

from __future__ import annotations

import json
from pathlib import Path

_ORDERS = json.loads((Path(__file__).parent / "orders.json").read_text(encoding="utf-8"))
_CATALOG = json.loads(
    (Path(__file__).parent.parent / "kb" / "catalog.json").read_text(encoding="utf-8")
)
_STOCK = {"BL-FUR-001": 0, "BL-FUR-002": 12, "BL-TEX-001": 40, "BL-TEX-002": 7}


def order_status(order_id: str) -> dict:
    """Status, carrier and delivery date of one order."""
    if order_id not in _ORDERS:
        raise KeyError(f"no order {order_id}")
    return {"order_id": order_id, **_ORDERS[order_id]}


def stock_level(product: str) -> dict:
    """Units in stock of a catalogue product (by name or alias)."""
    wanted = product.strip().lower()
    for item in _CATALOG:
        if wanted in (item["name"].lower(), *item["aliases"]):
            return {"product": item["name"], "in_stock": _STOCK.get(item["sku"], 0)}
    raise KeyError(f"no product named {product!r}")
