"""Plan-time part of multi-step generation: what a tool loop or a conversation will send.

A case's messages are laid out as: the prompt's rendered messages (the *opening*),
then its ``messages:`` history, then -- one at a time -- its ``turns``. So that the
turns have a user slot, a prompt used with ``turns`` or ``messages`` must not end with
a user message (a system message, or an earlier exchange ending with the assistant);
a suite without a prompt contributes no opening. Without ``turns`` the history must
end with a user message (the model answers it); with ``turns`` it must not. Every
template is rendered here, with the case's vars, so a bad one stops the run before
any call; a ``tools_impl`` file is imported and checked here too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmeval.domain.prompt import Message, PromptTemplate, RenderLimits
from llmeval.domain.suite import AssertionSpec, Case, Suite
from llmeval.domain.tools import ToolSpec
from llmeval.engine.toolbox import Toolbox, load_toolbox
from llmeval.errors import ConfigError

if TYPE_CHECKING:
    from llmeval.engine.plan import CompiledAssertion


@dataclass(frozen=True, slots=True)
class PlannedTurn:
    message: Message  # the rendered user message
    assertions: tuple[CompiledAssertion, ...] = ()


@dataclass(frozen=True, slots=True)
class Agenda:
    """How one work item generates: ``turns`` (empty: one answer to the item's
    messages), each answered through the tool loop when there is a ``toolbox``."""

    turns: tuple[PlannedTurn, ...] = ()
    toolbox: Toolbox | None = None
    max_steps: int = 8

    @property
    def max_calls(self) -> int:
        """Upper bound of model calls: the cost reservation's multiplier."""
        return max(1, len(self.turns)) * (self.max_steps if self.toolbox else 1)


def is_multistep(case: Case, suite: Suite) -> bool:
    return bool(case.turns or case.history or case.tools_impl or suite.tools_impl)


def render_opening(
    prompt: PromptTemplate, case: Case, vars: Mapping[str, Any], limits: RenderLimits
) -> tuple[Message, ...]:
    """The item's messages: the prompt's, plus the case's history (checked as above)."""
    from llmeval.config.prompts import INLINE_REF
    from llmeval.config.templating import render_messages

    conversational = bool(case.turns or case.history)
    if conversational and prompt.ref == INLINE_REF:
        opening: tuple[Message, ...] = ()
    else:
        opening = render_messages(prompt, vars, limits)
    if not conversational:
        if not any(m.role == "user" for m in opening):
            raise ConfigError(
                f"prompt {prompt.ref} has no user message: only a case with 'turns' or "
                "'messages' can use it",
                case.location,
            )
        return opening
    if opening and opening[-1].role == "user":
        where = prompt.location.file if prompt.location else prompt.ref
        what = "turns" if case.turns else "messages"
        raise ConfigError(
            f"case '{case.id}' has '{what}' but prompt {prompt.ref} ({where}) ends with a "
            "user message: with turns or messages the prompt is the opening (system "
            "messages, or an exchange ending with the assistant) and the case gives the "
            "user messages",
            case.history_location if not case.turns else _turns_at(case),
        )
    history = tuple(
        Message(role, _render(content, vars, limits, case)) for role, content in case.history
    )
    if history:
        last = history[-1].role
        if not case.turns and last != "user":
            raise ConfigError(
                "'messages' should end with a user message for the model to answer "
                "(or add 'turns')",
                case.history_location,
            )
        if case.turns and last == "user":
            raise ConfigError(
                "'messages' ends with a user message, but the first turn is the next user "
                "message: end the history with the assistant's reply",
                case.history_location,
            )
    if not opening + history and not case.turns:
        raise ConfigError("the case has nothing to send", case.location)
    return opening + history


def plan_agenda(
    case: Case,
    suite: Suite,
    tools: tuple[ToolSpec, ...],
    vars: Mapping[str, Any],
    limits: RenderLimits,
    compile_one: Callable[[AssertionSpec], CompiledAssertion],
    toolboxes: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], Toolbox],
    root: Path,
) -> Agenda:
    turns = tuple(
        PlannedTurn(
            Message("user", _render(t.content, vars, limits, case, t.location)),
            tuple(compile_one(a) for a in t.assertions),
        )
        for t in case.turns
    )
    written = case.tools_impl or suite.tools_impl
    pass_env = case.pass_env if case.tools_impl else suite.pass_env
    box = None
    if written:
        key = (suite.path, written, tuple(t.to_json().__repr__() for t in tools), pass_env)
        box = toolboxes.get(key)
        if box is None:
            box = toolboxes[key] = load_toolbox(
                written,
                tools,
                root=root,
                suite_dir=(root / suite.path).parent,
                location=case.location if case.tools_impl else suite.tools_impl_location,
                timeout_s=suite.tool_timeout_s,
                pass_env=pass_env,
            )
    max_steps = case.max_steps or suite.max_steps
    return Agenda(turns, box, max_steps)


def _turns_at(case: Case) -> Any:
    return case.turns[0].location if case.turns else case.location


def _render(
    source: str, vars: Mapping[str, Any], limits: RenderLimits, case: Case, at: Any = None
) -> str:
    """One case template (a turn, a history message), rendered as prompts are."""
    from llmeval.config.templating import render_messages

    one = PromptTemplate(
        name=f"case {case.id}", version=0, messages=(Message("user", source),), sha=""
    )
    try:
        return render_messages(one, vars, limits)[0].content
    except ConfigError as e:
        e.location = at or case.history_location or case.location
        raise
