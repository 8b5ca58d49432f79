from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.tools import ToolCall, ToolChoice, ToolSpec
from llmeval.domain.trajectory import Step


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    """What a provider is asked. ``vars`` reach only the python and http providers.

    ``repeat`` is part of the cache key so K repeats are K distinct samples that
    replay exactly. ``purpose`` separates judge calls from generations in accounting.
    A tool loop calls ``complete`` again with ``messages`` grown by the assistant's
    message (its ``tool_calls``) and one ``tool`` message per result; ``tools`` and
    ``tool_choice`` stay the same (or ``tool_choice`` drops to auto after step one).
    """

    model: ModelSpec
    messages: tuple[Message, ...]
    params: dict[str, Any] = field(default_factory=dict)
    repeat: int = 0
    vars: dict[str, Any] = field(default_factory=dict)
    purpose: str = "generate"  # generate | judge
    tools: tuple[ToolSpec, ...] = ()
    tool_choice: ToolChoice | None = None

    def __hash__(self) -> int:
        return id(self)


@dataclass(frozen=True, slots=True)
class Completion:
    """An answer: its text, the tool calls it made, and what it cost and took.

    ``ttft_ms`` (time to the first text or tool-call token) is measured only when the
    answer was streamed; ``latency_ms`` is the whole call.
    """

    text: str
    model_id: str = ""  # what the server says it ran
    finish_reason: str | None = None  # stop | length | tool_calls | content_filter | ...
    input_tokens: int = 0
    output_tokens: int = 0
    latency_ms: float = 0.0
    cached: bool = False
    cost_usd: float | None = None  # filled by the pricing layer when known
    tool_calls: tuple[ToolCall, ...] = ()
    ttft_ms: float | None = None
    # what a python/http target reported it did (its return value or its spans)
    trajectory: tuple[Step, ...] = ()

    @property
    def tokens_per_s(self) -> float | None:
        """Output tokens per second after the first token (streamed answers only)."""
        if self.ttft_ms is None or self.output_tokens <= 0:
            return None
        gen_ms = self.latency_ms - self.ttft_ms
        return self.output_tokens / (gen_ms / 1000.0) if gen_ms > 0 else None
