"""Tools: what a model may call (``ToolSpec``, ``ToolChoice``) and what it asked to
call (``ToolCall``), as recorded next to its text.

Shared by the config loaders (which read tool definitions), providers (which put them
on the wire in each API's shape and parse the calls back), the result model (which
journals them) and tool assertions (which score them). The canonical JSON form of a
tool is OpenAI's Chat Completions one: ``{type: function, function: {name, ...}}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TOOL_CHOICE_MODES = ("auto", "none", "required")


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

    @classmethod
    def from_wire(cls, name: str, arguments: Any, id: str = "") -> ToolCall:
        """From a wire format's arguments: a JSON text (OpenAI) or an object (Anthropic)."""
        if isinstance(arguments, dict):
            return cls(name=name, arguments=arguments, id=id)
        text = "" if arguments is None else str(arguments)
        import json

        try:
            parsed = json.loads(text) if text.strip() else {}
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            return cls(name=name, arguments=parsed, id=id)
        return cls(name=name, arguments=None, id=id, raw_arguments=text)

    @property
    def arguments_text(self) -> str:
        """The arguments as the JSON text a wire format wants back (tool loop)."""
        if self.arguments is None:
            return self.raw_arguments or ""
        import json

        return json.dumps(self.arguments, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One function a model may call: a name, a description and a JSON Schema of its
    arguments (``parameters``); ``strict`` is OpenAI's structured-outputs flag."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    strict: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """OpenAI Chat Completions form (the canonical one: cache key, prompt hash)."""
        fn: dict[str, Any] = {"name": self.name, "parameters": self.parameters}
        if self.description:
            fn["description"] = self.description
        if self.strict is not None:
            fn["strict"] = self.strict
        return {"type": "function", "function": fn}

    def __hash__(self) -> int:
        return hash(self.name)


@dataclass(frozen=True, slots=True)
class ToolChoice:
    """``auto`` | ``none`` | ``required`` (any tool), or ``tool`` with the one ``name``."""

    mode: str
    name: str | None = None

    def to_json(self) -> Any:
        """OpenAI Chat Completions form."""
        if self.mode == "tool":
            return {"type": "function", "function": {"name": self.name}}
        return self.mode


def merge_tools(base: tuple[ToolSpec, ...], extra: tuple[ToolSpec, ...]) -> tuple[ToolSpec, ...]:
    """A prompt's tools plus a suite's; a suite tool replaces the prompt tool of its name."""
    if not extra:
        return base
    names = {t.name for t in extra}
    return tuple(t for t in base if t.name not in names) + extra
