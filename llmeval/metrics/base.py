"""The metric interface.

A metric is registered by name with a *factory*: ``factory(spec, build) -> fn``.
The factory validates the YAML parameters (raising ``ConfigError`` with a message;
the caller adds the location) and returns a pure ``fn(ctx) -> Score``, or for
metrics that call a model or a subprocess, an ``async fn(ctx, services) -> Score``.

Thresholds, ``not-`` inversion and weights are applied once, in ``metrics.apply``:
a metric with ``threshold="min"`` just returns its score in [0, 1].
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.domain.record import Score
from llmeval.domain.request import Completion
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.domain.tools import ToolCall, ToolSpec
from llmeval.domain.trajectory import Step


@dataclass(frozen=True, slots=True)
class ScoreContext:
    """Everything a metric may look at for one result."""

    output: str
    case: Case
    latency_ms: float | None = None
    cost_usd: float | None = None
    tokens: Mapping[str, int] = field(default_factory=dict)
    messages: tuple[Message, ...] = ()
    model: str = ""
    baseline_output: str | None = None  # for pairwise judging
    repeat: int = 0  # repeat index: judge calls of distinct repeats are distinct samples
    tool_calls: tuple[ToolCall, ...] = ()  # what the model asked to call (Completion.tool_calls)
    tools: tuple[ToolSpec, ...] = ()  # what it was offered (CompletionRequest.tools)
    finish_reason: str | None = None
    ttft_ms: float | None = None  # time to first token; None unless streamed
    trajectory: tuple[Step, ...] = ()  # what an agent did (CaseResult.trajectory)
    # ``output`` is the JSON text of a value a ``transform:`` returned (metrics.transform):
    # ``javascript`` assertions receive the value, as promptfoo's do
    output_is_value: bool = False

    @property
    def vars(self) -> Mapping[str, Any]:
        return self.case.vars

    @property
    def expected(self) -> Any:
        return self.case.expected


@dataclass(frozen=True, slots=True)
class BuildContext:
    """What a factory may need at plan time."""

    root: Path  # project root: python scorers and schema files resolve under it
    judge: str | None = None  # default judge model alias, if any
    suite_dir: Path | None = None  # the suite's folder: files it names are looked for there first


class Services(Protocol):
    """What async metrics may use at score time (provided by the engine)."""

    async def judge(
        self, messages: tuple[Message, ...], *, model: str | None, repeat: int
    ) -> Completion:
        """Call the judge model (cached, retried, costed); raises ``ProviderError``."""
        ...

    def judge_available(self, model: str | None) -> str | None:
        """None if a judge can be called, else a one-line reason why not."""
        ...

    def load_prompt(self, ref: str) -> PromptTemplate:
        """A judge prompt from the project's library, else the bundled default."""
        ...

    def embed_available(self, model: str | None) -> str | None:
        """None if ``model`` can embed, else a one-line reason why not."""
        ...

    async def embed(self, texts: list[str], *, model: str | None) -> list[list[float]]:
        """Embedding vectors (cached, retried, costed); raises ``ProviderError``."""
        ...


SyncMetric = Callable[[ScoreContext], Score]
AsyncMetric = Callable[[ScoreContext, Services], Awaitable[Score]]
Factory = Callable[[AssertionSpec, BuildContext], Callable[..., Any]]


@dataclass(frozen=True, slots=True)
class MetricDef:
    name: str
    factory: Factory
    kind: Literal["sync", "async"] = "sync"
    # "min": pass when score >= threshold (default_threshold if the suite gives none);
    # "custom": the metric decides pass/fail itself (e.g. latency: threshold is a maximum).
    threshold: Literal["min", "custom"] = "custom"
    default_threshold: float | None = None
    requires_value: bool = False
    judge: bool = False  # calls the judge model
    description: str = ""
    # loads the metric's heavy library before the first call of a run, so no result's
    # latency (or the event loop) pays for an import mid-run
    warm: Callable[[], Any] | None = None
