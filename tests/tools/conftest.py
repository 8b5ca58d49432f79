"""Fixtures for tools, streaming and the http provider (real SDKs over HTTP)."""

from __future__ import annotations

import pytest

OPENAI_KEY = "sk-test-openai-tools-0123456789"
ANTHROPIC_KEY = "sk-ant-test-tools-0123456789"


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", ANTHROPIC_KEY)
