"""Pydantic models of the user's files, and their errors turned into located ones.

The models only check shape and types; they are converted to the frozen domain
types by the loaders, which keep the YAML nodes alongside for locations.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    NonNegativeFloat,
    PositiveFloat,
    PositiveInt,
)


def _as_list(value: Any) -> Any:
    """A single string where a list is expected means a list of one."""
    return [value] if isinstance(value, str) else value


def _as_tags(value: Any) -> Any:
    """Tags may be written ``billing, refunds`` (as in CSV) or as a list."""
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    return value


StrList = Annotated[list[str], BeforeValidator(_as_list, json_schema_input_type=str | list[str])]
Tags = Annotated[list[str], BeforeValidator(_as_tags, json_schema_input_type=str | list[str])]
Fraction = Annotated[float, Field(ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


# --- llmeval.yaml -------------------------------------------------------------------


class PriceConfig(_Strict):
    input_per_mtok: NonNegativeFloat
    output_per_mtok: NonNegativeFloat


class ModelConfig(_Strict):
    provider: str | None = None
    model: str | None = None
    target: str | None = None  # python provider: "file.py:function"
    params: dict[str, Any] = Field(default_factory=dict)
    base_url: str | None = None
    api_key_env: str | None = None
    price: PriceConfig | None = None
    concurrency: PositiveInt | None = None
    rpm: PositiveInt | None = None
    tpm: PositiveInt | None = None
    timeout_s: PositiveFloat | None = None
    max_input_tokens: PositiveInt | None = None
    redact: bool = False
    description: str = ""
    api: Literal["chat", "responses"] = "chat"  # openai: Chat Completions or Responses API
    stream: bool = False
    batch: bool = False  # the provider's batch API (openai chat, anthropic)
    batch_size: PositiveInt | None = None
    # provider http (checked by config.http, with located errors)
    url: str | None = None
    method: Literal["GET", "POST", "PUT", "PATCH"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    extract: dict[str, str] = Field(default_factory=dict)
    stream_delta: str | None = None
    # trajectories from traces (llmeval.traces): python otel | off, http otlp | off
    traces: Literal["otel", "otlp", "off"] | None = None
    traces_wait_ms: Annotated[int, Field(ge=0, le=600000)] | None = None
    otlp_port: Annotated[int, Field(ge=0, le=65535)] | None = None
    pass_env: list[str] = Field(default_factory=list)  # python: env vars the target gets


class DefaultsConfig(_Strict):
    models: StrList | None = None
    judge: str | None = None


class CacheConfig(_Strict):
    dir: str = ".llmeval/cache"
    ttl: Annotated[Any, Field(json_schema_extra={"type": ["string", "number", "null"]})] = "14d"


class RunConfig(_Strict):
    concurrency: PositiveInt = 8
    timeout_s: PositiveFloat = 60.0
    deadline_s: PositiveFloat | None = None
    retries: Annotated[int, Field(ge=0)] = 4


class GateConfig(_Strict):
    alpha: Annotated[float, Field(gt=0, lt=1)] = 0.05
    min_effect: NonNegativeFloat = 0.02
    max_error_rate: Fraction = 0.0
    min_pass_rate: Fraction | None = None
    max_regressions: Annotated[int, Field(ge=0)] | None = None


class SuiteGateConfig(_Strict):
    """A suite's own ``gate:``: overrides the global policy for that suite."""

    alpha: Annotated[float, Field(gt=0, lt=1)] | None = None
    min_effect: NonNegativeFloat | None = None
    max_error_rate: Fraction | None = None
    min_pass_rate: Fraction | None = None
    max_regressions: Annotated[int, Field(ge=0)] | None = None


class PathsConfig(_Strict):
    prompts: str = "prompts"
    suites: str = "suites"
    runs: str = ".llmeval/runs"
    reports: str = "reports"


class LimitsConfig(_Strict):
    """Bounds on what one prompt may render to (see ``config.sandbox``)."""

    message_chars: PositiveInt = 1_000_000
    render_timeout_s: PositiveFloat = 2.0


class SettingsFile(_Strict):
    """``llmeval.yaml``; each entry of ``models`` is checked on its own (ModelConfig)
    so that one bad section does not hide the problems of the others."""

    models: dict[str, Any] = Field(default_factory=dict)
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    run: RunConfig = Field(default_factory=RunConfig)
    gate: GateConfig = Field(default_factory=GateConfig)
    paths: PathsConfig = Field(default_factory=PathsConfig)
    limits: LimitsConfig = Field(default_factory=LimitsConfig)


# --- prompts/<name>/v<N>.yaml --------------------------------------------------------


class MessageConfig(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str


class PromptFile(_Strict):
    description: str = ""
    system: str | None = None
    user: str | None = None
    messages: list[MessageConfig] | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    tools: list[Any] | None = None  # checked by config.tools (located errors)
    tool_choice: Any = None


# --- suites/*.yaml -------------------------------------------------------------------

ASSERTION_FIELDS = ("type", "value", "threshold", "weight", "metric", "transform")


class AssertionConfig(BaseModel):
    """One assertion; keys beyond the common ones are the metric's own options."""

    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)

    type: str
    value: Any = None
    threshold: float | None = None
    weight: NonNegativeFloat = 1.0
    metric: str | None = None
    transform: str | None = None  # JavaScript over the output first (metrics.transform)


class DefaultsBlock(_Strict):
    assert_: list[AssertionConfig] = Field(default_factory=list, alias="assert")
    vars: dict[str, Any] = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    transform: str | None = None


class CaseConfig(_Strict):
    id: str | None = None
    description: str = ""
    vars: dict[str, Any] = Field(default_factory=dict)
    expected: Any = None
    tags: Tags = Field(default_factory=list)
    assert_: list[AssertionConfig] = Field(default_factory=list, alias="assert")
    threshold: Fraction | None = None
    critical: bool = False
    min_pass_rate: Fraction | None = None
    # a conversation (config.conversation checks them, with located errors)
    turns: list[Any] | None = None
    messages: list[Any] | None = None
    tools_impl: str | None = None  # python implementations of the tools: the tool loop
    pass_env: list[str] = Field(default_factory=list)  # env vars the tools_impl gets
    max_steps: PositiveInt | None = None
    transform: str | None = None  # promptfoo's options.transform (metrics.transform)


class SuiteHeader(_Strict):
    """A suite file with its cases left unchecked, so each case is checked on its own."""

    name: str | None = None
    description: str = ""
    prompt: str | None = None
    prompts: StrList | None = None
    models: StrList = Field(default_factory=list)
    dataset: str | None = None
    defaults: DefaultsBlock = Field(default_factory=DefaultsBlock)
    cases: list[Any] = Field(default_factory=list)
    min_pass_rate: Fraction | None = None
    threshold: Fraction | None = None
    redact: bool = False
    gate: SuiteGateConfig = Field(default_factory=SuiteGateConfig)
    tools: list[Any] | None = None  # checked by config.tools (located errors)
    tool_choice: Any = None
    tools_impl: str | None = None  # python implementations of the tools: the tool loop
    pass_env: list[str] = Field(default_factory=list)  # env vars the tools_impl gets
    max_steps: PositiveInt = 8  # model calls per answer in the tool loop
    tool_timeout_s: PositiveFloat = 30.0
    derived_metrics: list[Any] | None = None  # checked by config.derived_metrics


class SuiteFile(SuiteHeader):
    """The whole suite file, for the JSON Schema."""

    model_config = ConfigDict(title="llmeval suite", extra="forbid")
    cases: list[CaseConfig] = Field(default_factory=list)


def suite_json_schema() -> dict[str, Any]:
    """JSON Schema of suite files (for editor completion, e.g. yaml-language-server)."""
    from llmeval.metrics import registry

    schema = SuiteFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    names = registry.names()
    assertion = schema.get("$defs", {}).get("AssertionConfig", {})
    if "type" in assertion.get("properties", {}):
        # every registered type and its not- form, so editors complete and flag typos
        assertion["properties"]["type"] = {
            "type": "string",
            "enum": [*names, *(f"not-{n}" for n in names)],
            "description": "Assertion type; a not- prefix inverts it.",
        }
    return schema


def config_json_schema() -> dict[str, Any]:
    """JSON Schema of llmeval.yaml."""
    schema = SettingsFile.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
