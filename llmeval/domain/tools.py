"""Tool calls: what a model asked to call, as recorded next to its text.

Shared by providers (which parse them from the wire), the result model (which
journals them) and tool assertions (which score them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One call a model made. ``arguments`` is the parsed JSON object, or None when the
    model's argument text was not valid JSON; ``raw_arguments`` then keeps that text."""

    name: str
    arguments: dict[str, Any] | None = None
    id: str = ""
    raw_arguments: str | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "name": self.name, "arguments": self.arguments}
        if self.raw_arguments is not None:
            d["raw_arguments"] = self.raw_arguments
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> ToolCall:
        return cls(
            name=str(d.get("name", "")),
            arguments=d.get("arguments"),
            id=str(d.get("id") or ""),
            raw_arguments=d.get("raw_arguments"),
        )
