from __future__ import annotations

from pathlib import Path

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import Completion, CompletionRequest


class EchoProvider:
    """Returns the last user message verbatim: a zero-cost, offline target."""

    def __init__(self, spec: ModelSpec, root: Path | None = None) -> None:
        self.spec = spec

    async def complete(self, request: CompletionRequest) -> Completion:
        text = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        words = sum(len(m.content.split()) for m in request.messages)
        return Completion(
            text=text,
            model_id="echo",
            finish_reason="stop",
            input_tokens=words,
            output_tokens=len(text.split()),
            cost_usd=0.0,
        )
