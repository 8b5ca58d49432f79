from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llmeval.domain.location import Location
from llmeval.domain.tools import ToolChoice, ToolSpec


@dataclass(frozen=True, slots=True)
class AssertionSpec:
    """One assertion as written in a suite, already validated.

    ``type`` never carries the ``not-`` prefix: ``negate`` does. ``options`` holds
    the type-specific extra keys (e.g. ``provider`` for a judge, ``labels`` for
    classification).
    """

    type: str
    value: Any = None
    negate: bool = False
    threshold: float | None = None
    weight: float = 1.0
    metric: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None
    transform: str | None = None  # JavaScript applied to the output first

    @property
    def name(self) -> str:
        return ("not-" if self.negate else "") + self.type

    def __hash__(self) -> int:
        return hash((self.type, self.negate, repr(self.value), self.location))


@dataclass(frozen=True, slots=True)
class Turn:
    """One user message of a conversation (``turns:``): a template rendered with the
    case's vars, and the assertions that score the model's reply to it."""

    content: str
    assertions: tuple[AssertionSpec, ...] = ()
    location: Location | None = None


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    vars: dict[str, Any] = field(default_factory=dict)
    expected: Any = None
    assertions: tuple[AssertionSpec, ...] = ()
    tags: tuple[str, ...] = ()
    description: str = ""
    threshold: float | None = None  # weighted mean score needed to pass
    critical: bool = False  # pass -> fail on this case fails the gate
    min_pass_rate: float | None = None  # over repeats
    location: Location | None = None
    # a conversation: user turns sent one after another, after a prior ``history``
    # (``messages:``, templates of {role, content}); see engine.loop
    turns: tuple[Turn, ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    history_location: Location | None = None
    # the tool loop: overrides of the suite's (None = the suite's)
    tools_impl: str | None = None
    pass_env: tuple[str, ...] = ()  # with its own tools_impl: env vars the tools get
    max_steps: int | None = None
    transform: str | None = None  # JavaScript applied to the output before asserting

    def __hash__(self) -> int:
        return hash((self.id, self.location))


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    path: str  # relative to the project root
    cases: tuple[Case, ...]
    prompts: tuple[str, ...] = ()  # refs as written: "support@v2", "support"
    models: tuple[str, ...] = ()  # aliases or inline "provider:model"; empty = defaults
    description: str = ""
    min_pass_rate: float | None = None
    redact: bool = False
    gate: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None
    warnings: tuple[str, ...] = ()  # "file:line: message", shown by validate and run
    tools: tuple[ToolSpec, ...] = ()  # added to (and by name overriding) the prompt's
    tool_choice: ToolChoice | None = None  # wins over the prompt's
    # python implementations of the tools (a file, as written): the engine runs the loop
    tools_impl: str | None = None
    tools_impl_location: Location | None = None
    pass_env: tuple[str, ...] = ()  # environment variables the tools_impl's worker gets
    max_steps: int = 8  # model calls per answer in the tool loop
    tool_timeout_s: float = 30.0
    # promptfoo's derivedMetrics: (name, expression) in order, computed in the summary
    derived_metrics: tuple[tuple[str, str], ...] = ()

    def __hash__(self) -> int:
        return hash((self.name, self.path))
