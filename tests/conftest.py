"""Shared fixtures. Keep small: area fixtures live in their own folders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fakeserver import FakeLLMServer  # tests/ is on sys.path (rootdir conftest)


@pytest.fixture
def fake_server() -> Iterator[FakeLLMServer]:
    """A fresh fake OpenAI/Anthropic server on 127.0.0.1, stopped after the test."""
    with FakeLLMServer() as server:
        yield server
