from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """What a provider is asked. ``vars`` reach only the python provider.

    ``repeat`` is part of the cache key so K repeats are K distinct samples that
    replay exactly. ``purpose`` separates judge calls from generations in accounting.
    """

    model: ModelSpec
    messages: tuple[Message, ...]
    params: dict[str, Any] = field(default_factory=dict)
    repeat: int = 0
    vars: dict[str, Any] = field(default_factory=dict)
    purpose: str = "generate"  # generate | judge

    def __hash__(self) -> int:
        return id(self)


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    model_id: str = ""  # what the server says it ran
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    cached: bool = False
    cost_usd: float | None = None  # filled by the pricing layer when known
