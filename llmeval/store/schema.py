"""JSON Schemas of what a run writes: one journal line and ``run.json``.

``llmeval schema results`` is derived from the ``CaseResult`` dataclass (the one shape
of a result, ``domain.record``) with pydantic, then tuned to what ``to_json`` really
writes: ``passed`` is a computed field of an assertion, ``tool_calls`` and ``ttft_ms``
appear only when set, and nothing else may appear (a key outside the dataclass would be a
second shape). ``llmeval schema run`` describes run.json's top level with the typed
models below; the summary and the run state are the analysis dataclasses themselves.
run.json may carry more keys than described (it grows with the tool), so extra keys are
allowed there. A test validates what the bundled suites write against both.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from llmeval.analysis.gate import RunState
from llmeval.analysis.summarize import RunSummary
from llmeval.domain.project import GatePolicy
from llmeval.domain.record import CaseResult

_DRAFT = "https://json-schema.org/draft/2020-12/schema"
# CaseResult.to_json() leaves these out unless set
_OPTIONAL_CASE_KEYS = ("tool_calls", "ttft_ms", "trajectory")
_ASSERTION_KEYS = ("type", "status", "passed", "score", "reason")  # always written


def results_json_schema() -> dict[str, Any]:
    """The schema of one line of ``results.jsonl``."""
    schema = TypeAdapter(CaseResult).json_schema(mode="serialization")
    defs = schema["$defs"]
    assertion = defs["AssertionResult"]
    assertion["properties"]["passed"] = {
        "type": ["boolean", "null"],
        "title": "Passed",
        "description": "Computed from status: true for pass, false for fail, null otherwise.",
    }
    assertion["required"] = list(_ASSERTION_KEYS)
    props = schema["properties"]
    schema["required"] = [k for k in props if k not in _OPTIONAL_CASE_KEYS]
    props["tool_calls"] = {
        "type": "array",
        "items": props["tool_calls"]["items"],
        "minItems": 1,
        "title": "Tool Calls",
        "description": "Only when the model made tool calls.",
    }
    props["ttft_ms"] = {"type": "number", "title": "Ttft Ms", "description": "Only when streamed."}
    props["trajectory"] = {
        "type": "array",
        "items": props["trajectory"]["items"],
        "minItems": 1,
        "title": "Trajectory",
        "description": "Only when the case has steps (tool loop, target, OpenTelemetry).",
    }
    for part in (schema, *defs.values()):
        part["additionalProperties"] = False
    for part in defs.values():  # free-form objects inside a def stay open
        for p in part["properties"].values():
            p.pop("default", None)
    for p in props.values():
        p.pop("default", None)  # every key is written: a default would mislead
    return {
        "$schema": _DRAFT,
        "$id": "https://llmeval.dev/schemas/results-line.json",
        "title": "llmeval journal line (results.jsonl)",
        **schema,
    }


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SelectionJson(_Open):
    suites: list[str]
    models: list[str]
    tags: list[str]
    filter: str | None
    repeat: int = Field(ge=1)


class SuiteMeta(_Open):
    path: str
    fingerprint: str
    cases: dict[str, str] = Field(description="case id -> fingerprint of what scores it")
    min_pass_rate: float | None
    critical: list[str]


class ModelMeta(_Open):
    provider: str
    model: str
    model_id: str | None = Field(description="the model id(s) the provider reported")
    base_url: str | None


class JudgeMeta(_Open):
    alias: str
    model: str
    prompt_sha: str


class CountsJson(_Open):
    planned: int
    finished: int
    not_run: int
    this_invocation: int
    resumed_done: int
    redactions: int
    input_too_long: int


class PoliciesJson(_Open):
    default: GatePolicy
    suites: dict[str, GatePolicy]
    cases: dict[str, float] = Field(description="'suite/case_id' -> the case's min_pass_rate")


class VerdictJson(_Open):
    status: Literal["passed", "failed", "interrupted", "incomplete"]
    passed: bool
    exit_code: int = Field(ge=0, le=5)
    reasons: list[str]
    reason_kinds: list[str]
    notes: list[str]
    flaky: list[str]
    baseline: str | None


class RunRefJson(_Open):
    run_id: str
    label: str


Num = float | None  # NaN is written as null


class MetricRowJson(_Open):
    suite: str
    model: str
    prompt: str
    metric: str
    n: int
    base_mean: Num
    cand_mean: Num
    delta: Num
    ci_low: Num
    ci_high: Num
    p_value: Num
    p_adjusted: Num
    significant: bool
    base_ci: list[Num]
    cand_ci: list[Num]


class CaseRowJson(_Open):
    suite: str
    case_id: str
    model: str
    prompt: str
    change: Literal["regressed", "fixed", "new", "removed", "flaky", "errored", "unchanged"]
    base_status: str | None
    cand_status: str | None
    base_score: float | None
    cand_score: float | None
    base_output: str | None
    cand_output: str | None
    critical: bool


class ComparisonJson(_Open):
    base: RunRefJson
    cand: RunRefJson
    changes: list[str]
    alpha: float
    metrics: list[MetricRowJson]
    cases: list[CaseRowJson]
    counts: dict[str, int]


class RunManifest(_Open):
    """run.json. The keys up to ``policies`` are written before the first call (with
    ``status: running``); the rest when the run ends and is gated."""

    run_id: str
    llmeval_version: str
    python: str
    git_sha: str | None
    config_sha: str
    started_at: float
    selection: SelectionJson
    cache_mode: Literal["use", "refresh", "off", "replay"]
    max_cost_usd: float | None
    judge: JudgeMeta | None
    suites: dict[str, SuiteMeta]
    models: dict[str, ModelMeta]
    prompts: dict[str, str] = Field(description="name@vN -> content hash")
    policies: PoliciesJson
    status: Literal["running", "complete", "incomplete", "interrupted", "budget"]
    finished_at: float | None = None
    duration_s: float | None = None
    resumed_from: bool | None = None
    counts: CountsJson | None = None
    spent_usd: float | None = None
    stopped_models: dict[str, Any] | None = None
    cache: dict[str, Any] | None = None
    summary: RunSummary | None = None
    run_state: RunState | None = None
    comparison: ComparisonJson | None = None
    baseline: str | None = None
    verdict: VerdictJson | None = None


def run_json_schema() -> dict[str, Any]:
    """The schema of ``run.json``."""
    schema = RunManifest.model_json_schema(mode="serialization")
    # a key run.json leaves out when unset must not be listed as required
    required = [k for k, f in RunManifest.model_fields.items() if f.is_required()]
    schema["required"] = required
    return {
        "$schema": _DRAFT,
        "$id": "https://llmeval.dev/schemas/run.json",
        "title": "llmeval run manifest and summary (run.json)",
        **schema,
    }


SCHEMAS = {"results": results_json_schema, "run": run_json_schema}
