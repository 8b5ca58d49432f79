from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmeval.domain.location import Location
from llmeval.domain.tools import ToolCall, ToolChoice, ToolSpec


@dataclass(frozen=True, slots=True)
class Message:
    """One message. An assistant message may carry the ``tool_calls`` it made; a ``tool``
    message is the result of the call ``tool_call_id`` (a tool loop grows the list)."""

    role: str  # system | user | assistant | tool
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"role": self.role, "content": self.content}
        if self.tool_calls:
            d["tool_calls"] = [c.to_json() for c in self.tool_calls]
        if self.tool_call_id is not None:
            d["tool_call_id"] = self.tool_call_id
        return d


@dataclass(frozen=True, slots=True)
class RenderLimits:
    """Bounds on rendering one prompt message (``limits:`` in llmeval.yaml).

    ``max_chars`` bounds each rendered message and every value the template builds on
    the way; ``timeout_s`` the time to render one message.
    """

    max_chars: int = 1_000_000
    timeout_s: float = 2.0


@dataclass(frozen=True, slots=True)
class PromptTemplate:
    """One version of a prompt, ``prompts/<name>/v<version>.yaml``.

    ``messages`` hold unrendered Jinja2 sources; ``sha`` is the hash of the file's
    canonical content, so a diff can tell that a prompt changed even if its
    version number did not.
    """

    name: str
    version: int
    messages: tuple[Message, ...]
    sha: str
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    location: Location | None = None
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice | None = None

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}"

    def __hash__(self) -> int:
        return hash((self.name, self.version, self.sha))
