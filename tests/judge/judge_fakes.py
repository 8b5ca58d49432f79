"""Test doubles for the judge: a scripted Services (unique module name: no conftest clash)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.domain.request import Completion
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.judge.bundled import bundled_prompt
from llmeval.metrics import registry
from llmeval.metrics.apply import finalize
from llmeval.metrics.base import BuildContext, ScoreContext

Reply = str | Callable[[tuple[Message, ...]], str]


def verdict(passed: bool | None = True, score: float | None = None, reason: str = "ok") -> str:
    d: dict[str, Any] = {"reason": reason}
    if passed is not None:
        d["pass"] = passed
    if score is not None:
        d["score"] = score
    return json.dumps(d)


class FakeServices:
    """Scripted judge: a fixed reply, or a function of the messages it is sent."""

    def __init__(
        self,
        reply: Reply = '{"reason": "fine", "pass": true, "score": 0.9}',
        *,
        unavailable: str | None = None,
        error: Exception | None = None,
        prompts: dict[str, PromptTemplate] | None = None,
    ) -> None:
        self.reply = reply
        self.unavailable = unavailable
        self.error = error
        self.prompts = prompts or {}
        self.calls: list[tuple[tuple[Message, ...], str | None, int]] = []

    async def judge(
        self, messages: tuple[Message, ...], *, model: str | None, repeat: int
    ) -> Completion:
        self.calls.append((messages, model, repeat))
        if self.error is not None:
            raise self.error
        text = self.reply(messages) if callable(self.reply) else self.reply
        return Completion(text=text, model_id="fake-judge-1")

    def judge_available(self, model: str | None) -> str | None:
        return self.unavailable

    def load_prompt(self, ref: str) -> PromptTemplate:
        return self.prompts.get(ref) or bundled_prompt(ref)


def user_text(messages: tuple[Message, ...]) -> str:
    return "\n".join(m.content for m in messages if m.role == "user")


async def grade(
    services: FakeServices,
    type_: str,
    value: Any = None,
    *,
    output: str = "Items can be returned within 30 days.",
    expected: Any = None,
    vars: dict[str, Any] | None = None,
    baseline: str | None = None,
    threshold: float | None = None,
    negate: bool = False,
    judge: str | None = None,
    **options: Any,
):
    """Build the assertion through the registry, score it, finalize it: (raw, result)."""
    spec = AssertionSpec(
        type=type_, value=value, threshold=threshold, negate=negate, options=options
    )
    defn, fn = registry.build(spec, BuildContext(root=Path("."), judge=judge))
    case = Case(id="c1", vars=vars or {}, expected=expected)
    ctx = ScoreContext(
        output=output,
        case=case,
        baseline_output=baseline,
        messages=(Message("user", "How long do I have to return an item?"),),
        repeat=2,
    )
    raw = await fn(ctx, services)
    return raw, finalize(defn, spec, raw)
