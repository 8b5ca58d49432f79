"""Custom scorers for the order-extraction suite (``type: python`` assertions).

Each takes the model's output and the case, and returns a dict
``{"pass": bool, "score": float, "reason": str}``. The case's ``expected`` is the
order a person reads from the email. The second argument may be the case itself
or a context object carrying it (``.expected`` / ``.case``) or a mapping with an
``expected`` key, so the scorers work whichever the engine passes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

FIELDS = ("order_id", "customer_email", "items", "urgency")
_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def expected_of(case: Any, expected: Any = None) -> Any:
    """The expected value, from an explicit argument, a case, a context or a mapping."""
    if expected is not None:
        return expected
    if isinstance(case, Mapping):
        return case.get("expected")
    if hasattr(case, "expected"):
        return case.expected
    inner = getattr(case, "case", None)
    return getattr(inner, "expected", None)


def parse_order(output: str) -> dict[str, Any] | None:
    """The JSON object in ``output`` (a fenced block is accepted here: is-json judges format)."""
    text = output.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1)
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _norm_text(value: Any) -> Any:
    return value.strip().casefold() if isinstance(value, str) else value


def _norm_product(name: Any) -> str:
    # "Stoneware Mugs" and "stoneware mug" name the same catalogue product
    text = " ".join(str(name).casefold().split())
    return text[:-1] if text.endswith("s") else text


def _items(value: Any) -> Counter[tuple[str, int]] | None:
    if not isinstance(value, list):
        return None
    out: Counter[tuple[str, int]] = Counter()
    for item in value:
        if not isinstance(item, Mapping):
            return None
        try:
            quantity = int(item.get("quantity", 1))
        except (TypeError, ValueError):
            return None
        out[(_norm_product(item.get("product", "")), quantity)] += 1
    return out


def field_matches(name: str, got: Any, want: Any) -> bool:
    """One field compared as the order desk would: case-insensitive, items as a multiset."""
    if name == "items":
        return _items(got) is not None and _items(got) == _items(want)
    return _norm_text(got) == _norm_text(want)


def _verdict(output: str, case: Any, expected: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    want = expected_of(case, expected)
    if not isinstance(want, Mapping):
        return {"pass": False, "score": 0.0, "reason": "the case has no expected order (a mapping)"}
    got = parse_order(output)
    if got is None:
        return {"pass": False, "score": 0.0, "reason": "output is not a JSON object"}
    wrong = [f for f in fields if not field_matches(f, got.get(f), want.get(f))]
    score = (len(fields) - len(wrong)) / len(fields)
    if not wrong:
        return {"pass": True, "score": score, "reason": f"{', '.join(fields)} match"}
    shown = "; ".join(
        f"{f}: got {json.dumps(got.get(f))}, want {json.dumps(want.get(f))}" for f in wrong
    )
    return {"pass": False, "score": score, "reason": shown}


def order_fields_match(output: str, case: Any = None, *, expected: Any = None) -> dict[str, Any]:
    """All four fields equal the expected order; score = share of fields that do."""
    return _verdict(output, case, expected, FIELDS)


def order_id_matches(output: str, case: Any = None, *, expected: Any = None) -> dict[str, Any]:
    """The order id equals the expected one (``null`` when the email names none)."""
    return _verdict(output, case, expected, ("order_id",))


def urgency_matches(output: str, case: Any = None, *, expected: Any = None) -> dict[str, Any]:
    """The urgency label equals the expected one."""
    return _verdict(output, case, expected, ("urgency",))
