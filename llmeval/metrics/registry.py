"""Metrics by name. Modules register on import; heavy libraries load inside the metric."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable

from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, Factory, MetricDef

_METRICS: dict[str, MetricDef] = {}
# Each module registering metrics and the names it registers: ``get`` imports only the
# module of the name asked for (all of them cost ~30 ms of every start); a test checks
# this table against what the modules register.
_HOMES: dict[str, tuple[str, ...]] = {
    "llmeval.metrics.text": (
        "contains",
        "contains-all",
        "contains-any",
        "equals",
        "exact-match",
        "f1",
        "icontains",
        "icontains-all",
        "icontains-any",
        "levenshtein",
        "regex",
        "starts-with",
        "word-count",
    ),
    "llmeval.metrics.json": (
        "contains-json",
        "is-json",
        "json-schema",
    ),
    "llmeval.metrics.runtime": (
        "cost",
        "latency",
        "ttft",
    ),
    "llmeval.metrics.overlap": (
        "bleu",
        "chrf",
        "rouge-1",
        "rouge-2",
        "rouge-l",
        "rouge-n",
    ),
    "llmeval.metrics.labels": ("classification",),
    "llmeval.metrics.custom": ("python",),
    "llmeval.metrics.safety": (
        "moderation",
        "no-leak",
        "no-pii",
        "refusal",
    ),
    "llmeval.metrics.markup": (
        "contains-html",
        "contains-xml",
        "is-html",
        "is-xml",
    ),
    "llmeval.metrics.sql": (
        "contains-sql",
        "is-sql",
    ),
    "llmeval.metrics.similar": (
        "similar",
        "similar:cosine",
        "similar:dot",
        "similar:euclidean",
    ),
    "llmeval.metrics.javascript": ("javascript",),
    "llmeval.metrics.assert_set": ("assert-set",),
    "llmeval.metrics.tools": (
        "finish-reason",
        "is-valid-openai-tools-call",
        "tool-call",
        "tool-call-f1",
    ),
    "llmeval.metrics.trajectory": (
        "trajectory:goal-success",
        "trajectory:step-count",
        "trajectory:tool-args-match",
        "trajectory:tool-sequence",
        "trajectory:tool-used",
    ),
    "llmeval.judge.metrics": (
        "factuality",
        "llm-rubric",
        "pairwise",
    ),
    "llmeval.judge.rag": (
        "answer-relevance",
        "context-faithfulness",
        "context-recall",
        "context-relevance",
    ),
    "llmeval.judge.geval": (
        "g-eval",
        "model-graded-closedqa",
    ),
    "llmeval.judge.compare": (
        "max-score",
        "select-best",
    ),
}
_MODULES = tuple(_HOMES)
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}
_loaded = False


def register(name: str, **kw: object) -> Callable[[Factory], Factory]:
    def deco(factory: Factory) -> Factory:
        _METRICS[name] = MetricDef(name=name, factory=factory, **kw)  # type: ignore[arg-type]
        return factory

    return deco


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in _MODULES:
        _import(mod)


def _import(mod: str) -> None:
    try:
        importlib.import_module(mod)
    except ModuleNotFoundError as e:
        if e.name != mod:  # a real import error inside an existing module
            raise


def names() -> list[str]:
    _load()
    return sorted(_METRICS)


def get(type_name: str) -> MetricDef:
    """The definition for a type written without ``not-``; ConfigError with a hint if unknown."""
    if type_name not in _METRICS:
        home = _HOME_OF.get(type_name)
        if home is not None:
            _import(home)
        if type_name not in _METRICS:
            _load()
    try:
        return _METRICS[type_name]
    except KeyError:
        raise ConfigError(f"unknown assertion type '{type_name}'{_hint(type_name)}") from None


def _hint(type_name: str) -> str:
    """What to say after "unknown assertion type": promptfoo's own names first."""
    from llmeval.metrics.promptfoo_names import suggestion

    known = suggestion(type_name)
    if known is not None:
        return f" ({known})"
    close = difflib.get_close_matches(type_name, list(_METRICS), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def build(spec: AssertionSpec, ctx: BuildContext) -> tuple[MetricDef, Callable[..., object]]:
    """Validate ``spec`` and return its metric function; errors carry the spec's location."""
    try:
        defn = get(spec.type)
        if defn.requires_value and spec.value is None:
            raise ConfigError(f"assertion '{spec.name}' needs a 'value'")
        return defn, defn.factory(spec, ctx)
    except ConfigError as e:
        if e.location is None:
            e.location = spec.location
        raise
