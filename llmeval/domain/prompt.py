from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmeval.domain.location import Location


@dataclass(frozen=True, slots=True)
class Message:
    role: str  # system | user | assistant
    content: str


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

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}"

    def __hash__(self) -> int:
        return hash((self.name, self.version, self.sha))
