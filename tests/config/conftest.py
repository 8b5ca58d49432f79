"""Fixtures for the loading layer: temporary projects and metric test doubles."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from llmeval.domain.record import Score
from llmeval.errors import ConfigError
from llmeval.metrics import registry
from llmeval.metrics.base import MetricDef

Write = Callable[[dict[str, str]], Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """Write ``{relative path: text}`` (dedented) under a project root and return it."""
    root = tmp_path / "proj"
    root.mkdir()

    def _write(files: dict[str, str]) -> Path:
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return _write


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


_DOUBLES = {
    "regex": MetricDef("regex", _regex, requires_value=True),
    "is-json": MetricDef("is-json", _schema),
    "json-schema": MetricDef("json-schema", _schema, requires_value=True),
    "contains": MetricDef("contains", _plain, requires_value=True),
    "icontains": MetricDef("icontains", _plain, requires_value=True),
    "equals": MetricDef("equals", _plain),
    "latency": MetricDef("latency", _plain),
}


@pytest.fixture(autouse=True)
def metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """The metrics these tests use: the real ones where registered, else doubles.

    Also ``test-needs-value``, a throwaway metric that exercises only the plumbing.
    Everything is undone after the test (the registry is process-wide).
    """
    present = set(registry.names())
    for name, defn in _DOUBLES.items():
        if name not in present:
            monkeypatch.setitem(registry._METRICS, name, defn)
    monkeypatch.setitem(
        registry._METRICS,
        "test-needs-value",
        MetricDef("test-needs-value", _plain, requires_value=True),
    )
