from __future__ import annotations

import threading
from typing import Any

import pytest

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.providers import tokens


class WordEncoding:
    """Stands in for a tiktoken Encoding: one token per whitespace word."""

    def encode(self, text: str, disallowed_special: Any = ()) -> list[int]:
        return list(range(len(text.split())))


@pytest.fixture
def fresh_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_encodings", {})


@pytest.mark.parametrize(
    ("model", "name"),
    [
        ("gpt-4o-mini", "o200k_base"),
        ("gpt-4.1", "o200k_base"),
        ("gpt-5-nano", "o200k_base"),
        ("o3", "o200k_base"),
        ("o4-mini-2025-04-16", "o200k_base"),
        ("ft:gpt-4o-mini:org::x", "o200k_base"),
        ("gpt-4", "cl100k_base"),
        ("gpt-3.5-turbo", "cl100k_base"),
        ("llama3", "cl100k_base"),
    ],
)
def test_encoding_name(model: str, name: str) -> None:
    assert tokens.encoding_name(model) == name


def test_uses_tiktoken_when_available(monkeypatch: pytest.MonkeyPatch, fresh_cache: None) -> None:
    monkeypatch.setattr(tokens, "_load_encoding", lambda name: WordEncoding())
    spec = ModelSpec("m", "openai", "gpt-4o")
    msgs = [Message("system", "a b"), Message("user", "c d e")]
    assert tokens.estimate_tokens(spec, msgs) == 5 + 2 * tokens.PER_MESSAGE + tokens.REPLY_PRIMING


def test_falls_back_when_tiktoken_cannot_load(
    monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    def offline(name: str) -> Any:
        raise ConnectionError("no network")

    monkeypatch.setattr(tokens, "_load_encoding", offline)
    spec = ModelSpec("m", "openai", "gpt-4o")
    n = tokens.estimate_tokens(spec, [Message("user", "x" * 400)])
    assert n == 100 + tokens.PER_MESSAGE + tokens.REPLY_PRIMING
    assert tokens.tiktoken_available("gpt-4o") is False


def test_a_hanging_download_is_abandoned(
    monkeypatch: pytest.MonkeyPatch, fresh_cache: None
) -> None:
    release = threading.Event()
    monkeypatch.setattr(tokens, "_load_encoding", lambda name: release.wait(10))
    monkeypatch.setattr(tokens, "LOAD_TIMEOUT_S", 0.1)
    try:
        assert tokens.get_encoding("o200k_base") is None
    finally:
        release.set()


def test_real_tiktoken_or_fallback_never_raises() -> None:
    spec = ModelSpec("m", "openai", "gpt-4o-mini")
    n = tokens.estimate_tokens(spec, [Message("user", "Hello, how are you today?")])
    assert 6 <= n <= 20


@pytest.mark.parametrize(
    ("provider", "text", "expected_content"),
    [
        ("anthropic", "x" * 350, 100),  # 3.5 chars per token
        ("python", "x" * 400, 100),
        ("anthropic", "日本語のテキスト", 6),  # dense scripts: ~1.5 chars per token
        ("anthropic", "", 0),
    ],
)
def test_calibrated_estimate(provider: str, text: str, expected_content: int) -> None:
    spec = ModelSpec("m", provider, "whatever")
    framing = tokens.PER_MESSAGE + tokens.REPLY_PRIMING
    assert tokens.estimate_tokens(spec, [{"role": "user", "content": text}]) == (
        expected_content + framing
    )


@pytest.mark.parametrize(
    ("spec_params", "params", "expected"),
    [
        ({}, None, tokens.DEFAULT_OUTPUT_TOKENS),
        ({"max_tokens": 100}, None, 100),
        ({"max_tokens": 100}, {"max_tokens": 20}, 20),
        ({}, {"max_completion_tokens": 64}, 64),
        ({"max_tokens": True}, None, tokens.DEFAULT_OUTPUT_TOKENS),
    ],
)
def test_estimate_output_tokens(
    spec_params: dict[str, Any], params: dict[str, Any] | None, expected: int
) -> None:
    spec = ModelSpec("m", "openai", "gpt-4o", params=spec_params)
    assert tokens.estimate_output_tokens(spec, params) == expected
