"""Fixtures for the loading layer: temporary projects and metric test doubles."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from config_support import DOUBLES, Write

from llmeval.metrics import registry
from llmeval.metrics.base import MetricDef


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


@pytest.fixture(autouse=True)
def metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    """The metrics these tests use: the real ones where registered, else doubles.

    Also ``test-needs-value``, a throwaway metric that exercises only the plumbing.
    Everything is undone after the test (the registry is process-wide).
    """
    present = set(registry.names())
    for name, defn in DOUBLES.items():
        if name not in present:
            monkeypatch.setitem(registry._METRICS, name, defn)
    monkeypatch.setitem(
        registry._METRICS,
        "test-needs-value",
        MetricDef("test-needs-value", DOUBLES["equals"].factory, requires_value=True),
    )
