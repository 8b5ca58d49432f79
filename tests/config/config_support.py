"""Shared bits of the config tests (a module with a unique name, safe to import)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmeval.domain.record import Score
from llmeval.errors import ConfigError
from llmeval.metrics.base import MetricDef

Write = Callable[[dict[str, str]], Path]


def _regex(spec: Any, ctx: Any) -> Any:
    try:
        re.compile(str(spec.value))
    except re.error as e:
        raise ConfigError(f"invalid regex {spec.value!r}: {e}") from None
    return lambda c: Score(passed=True)


def _schema(spec: Any, ctx: Any) -> Any:
    if spec.value is not None:
        from jsonschema import Draft202012Validator, SchemaError

        try:
            Draft202012Validator.check_schema(spec.value)
        except SchemaError as e:
            raise ConfigError(f"invalid JSON schema: {e.message}") from None
    return lambda c: Score(passed=True)


def _plain(spec: Any, ctx: Any) -> Any:
    return lambda c: Score(passed=True)


DOUBLES = {
    "regex": MetricDef("regex", _regex, requires_value=True),
    "is-json": MetricDef("is-json", _schema),
    "json-schema": MetricDef("json-schema", _schema, requires_value=True),
    "contains": MetricDef("contains", _plain, requires_value=True),
    "icontains": MetricDef("icontains", _plain, requires_value=True),
    "equals": MetricDef("equals", _plain),
    "latency": MetricDef("latency", _plain),
}
