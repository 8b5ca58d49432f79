"""Metrics by name. Modules register on import; heavy libraries load inside the metric."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable

from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, Factory, MetricDef

_METRICS: dict[str, MetricDef] = {}
_MODULES = (
    "llmeval.metrics.text",
    "llmeval.metrics.json",
    "llmeval.metrics.runtime",
    "llmeval.metrics.overlap",
    "llmeval.metrics.labels",
    "llmeval.metrics.custom",
    "llmeval.metrics.safety",
    "llmeval.metrics.markup",
    "llmeval.metrics.sql",
    "llmeval.metrics.similar",
    "llmeval.metrics.javascript",
    "llmeval.metrics.assert_set",
    "llmeval.metrics.tools",
    "llmeval.metrics.trajectory",
    "llmeval.judge.metrics",
    "llmeval.judge.rag",
    "llmeval.judge.geval",
    "llmeval.judge.compare",
)
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
