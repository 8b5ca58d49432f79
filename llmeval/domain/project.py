"""A loaded project: llmeval.yaml settings, the prompt library and the suites."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import PromptTemplate, RenderLimits
from llmeval.domain.suite import Suite

if TYPE_CHECKING:
    from llmeval.errors import ConfigError


@dataclass(frozen=True, slots=True)
class GatePolicy:
    alpha: float = 0.05
    min_effect: float = 0.02
    max_error_rate: float = 0.0
    min_pass_rate: float | None = None  # default for suites that set none (None = 1.0 w/o baseline)
    max_regressions: int | None = None  # pass -> fail flips (non-flaky) allowed per group


@dataclass(frozen=True, slots=True)
class Settings:
    """``llmeval.yaml``; every field has a default so the file is optional."""

    root: Path
    path: Path | None = None  # the llmeval.yaml file, if any
    models: dict[str, ModelSpec] = field(default_factory=dict)
    default_models: tuple[str, ...] = ("echo",)
    judge: str | None = None
    cache_dir: str = ".llmeval/cache"
    cache_ttl_s: float | None = 14 * 86400
    concurrency: int = 8
    timeout_s: float = 60.0
    deadline_s: float | None = None  # per case, over all retries
    retries: int = 4
    gate: GatePolicy = field(default_factory=GatePolicy)
    prompts_dir: str = "prompts"
    suites_dir: str = "suites"
    runs_dir: str = ".llmeval/runs"
    reports_dir: str = "reports"
    render_limits: RenderLimits = field(default_factory=RenderLimits)
    sha: str = ""  # hash of the file's content, "" without a file
    raw: dict[str, Any] = field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.root, self.sha))


@dataclass(frozen=True, slots=True)
class Project:
    root: Path
    settings: Settings
    prompts: dict[str, dict[int, PromptTemplate]]  # name -> version -> template
    suites: dict[str, Suite]  # by suite name, in file order
    warnings: tuple[ConfigError, ...] = ()  # loads, but looks unintended (validate prints)

    def __hash__(self) -> int:
        return hash(self.root)
