"""A stand-in for your application: answers from a lookup table, no model, no key.

llmeval calls ``answer`` with the case's ``vars`` (and, if you ask for them by
parameter name, ``messages``, ``prompt``, ``model``...). Replace it with a call to
your own code, or compare it with a real model: ``llmeval run -m openai:gpt-4o-mini``.
"""

from __future__ import annotations

from typing import Any

CAPITALS = {
    "australia": "Canberra",
    "canada": "Ottawa",
    "france": "Paris",
    "japan": "Tokyo",
    "kenya": "Nairobi",
}


def answer(vars: dict[str, Any]) -> str:
    country = str(vars.get("country", "")).strip()
    capital = CAPITALS.get(country.lower())
    if capital is None:
        return f"I don't know the capital of {country}."
    return f"The capital of {country} is {capital}."
