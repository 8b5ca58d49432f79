"""What every provider builds a ``Completion`` from, whether the answer came in one
body or as a stream: ``Parts`` (text, tool calls, finish reason, usage), and the
first-token timer of a stream.

Each wire format has its own reader (``openai``, ``responses``, ``anthropic``, ``http``);
they all end in ``Parts.completion`` so cost, tokens per second and the shape of a
completion have one home.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import Completion
from llmeval.domain.tools import ToolCall
from llmeval.domain.trajectory import Step
from llmeval.providers.pricing import cost
from llmeval.text import repair


@dataclass
class Parts:
    text: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    model_id: str = ""
    cost_usd: float | None = None  # when the answer says what it cost (http ``extract.cost``)
    trajectory: tuple[Step, ...] = ()  # what the app reported it did (http ``extract.trajectory``)

    def completion(
        self, spec: ModelSpec, latency_ms: float, ttft_ms: float | None = None
    ) -> Completion:
        model_id = repair(self.model_id or spec.model)
        return Completion(  # provider text enters here: repaired once (llmeval.text)
            text=repair(self.text),
            model_id=model_id,
            finish_reason=repair(self.finish_reason) if self.finish_reason else None,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            latency_ms=latency_ms,
            cost_usd=(
                self.cost_usd
                if self.cost_usd is not None
                else cost(spec, model_id, self.input_tokens, self.output_tokens)
            ),
            tool_calls=tuple(self.tool_calls),
            ttft_ms=ttft_ms,
            trajectory=self.trajectory,
        )


class Timer:
    """Milliseconds since the call started, and when the first token arrived."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._start = self._loop.time()
        self.ttft_ms: float | None = None

    def elapsed_ms(self) -> float:
        return (self._loop.time() - self._start) * 1000.0

    def token(self) -> None:
        """Call on every content delta; only the first one counts."""
        if self.ttft_ms is None:
            self.ttft_ms = self.elapsed_ms()


@dataclass
class PartialCall:
    """A tool call being streamed: its argument text arrives in pieces."""

    id: str = ""
    name: str = ""
    arguments: str = ""
    input: Any = None  # Anthropic's parsed object, when a block starts with one

    def done(self) -> ToolCall:
        if self.arguments:
            return ToolCall.from_wire(self.name, self.arguments, self.id)
        return ToolCall.from_wire(self.name, self.input if self.input else {}, self.id)
