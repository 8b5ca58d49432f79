from __future__ import annotations

import pytest
from fakeserver import ANTHROPIC_MESSAGES, FakeLLMServer

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.errors import ConfigError
from llmeval.providers.anthropic import AnthropicProvider, messages_kwargs

KEY = "sk-ant-test-0123456789"


def spec(server: FakeLLMServer | None = None, **kw: object) -> ModelSpec:
    base = {"alias": "claude", "provider": "anthropic", "model": "claude-haiku-4-5"}
    if server is not None:
        base["base_url"] = server.anthropic_base_url
    base.update(kw)
    return ModelSpec(**base)  # type: ignore[arg-type]


def req(s: ModelSpec, *msgs: tuple[str, str], **params: object) -> CompletionRequest:
    return CompletionRequest(model=s, messages=tuple(Message(r, c) for r, c in msgs), params=params)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)


async def test_maps_response_and_extracts_system(fake_server: FakeLLMServer) -> None:
    fake_server.model_suffix = "-20251001"
    s = spec(fake_server)
    p = AnthropicProvider(s)
    try:
        c = await p.complete(
            req(s, ("system", "rule one"), ("system", "rule two"), ("user", "hi there"))
        )
    finally:
        await p.aclose()
    body = fake_server.requests[0].json
    assert body["system"] == "rule one\n\nrule two"
    assert body["messages"] == [{"role": "user", "content": "hi there"}]
    assert body["max_tokens"] == 1024
    assert fake_server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert c.text == "hi there"
    assert c.model_id == "claude-haiku-4-5-20251001"
    assert c.finish_reason == "stop"  # end_turn, normalised
    assert (c.input_tokens, c.output_tokens) == (6, 2)
    assert c.cost_usd == pytest.approx((6 * 1.0 + 2 * 5.0) / 1e6)


async def test_max_tokens_stop_and_sampling(fake_server: FakeLLMServer) -> None:
    s = spec(fake_server, params={"temperature": 0.0})
    p = AnthropicProvider(s)
    try:
        c = await p.complete(req(s, ("user", "a b c d e"), max_tokens=3, stop="zz", seed=1))
    finally:
        await p.aclose()
    body = fake_server.requests[0].json
    assert body["max_tokens"] == 3 and body["stop_sequences"] == ["zz"]
    assert body["temperature"] == 0.0  # sent as an extra body field
    assert "seed" not in body
    assert (c.text, c.finish_reason) == ("a b c", "length")  # max_tokens, normalised


async def test_stop_sequence_finish_is_stop(fake_server: FakeLLMServer) -> None:
    s = spec(fake_server)
    p = AnthropicProvider(s)
    try:
        c = await p.complete(req(s, ("user", "keep STOP drop"), stop=["STOP"]))
    finally:
        await p.aclose()
    assert (c.text, c.finish_reason) == ("keep ", "stop")


async def test_base_url_written_with_v1_still_works(fake_server: FakeLLMServer) -> None:
    s = spec(fake_server, base_url=fake_server.url + "/v1/")
    p = AnthropicProvider(s)
    try:
        await p.complete(req(s, ("user", "x")))
    finally:
        await p.aclose()
    assert fake_server.counts() == {ANTHROPIC_MESSAGES: 1}


def test_kwargs_without_system_or_params() -> None:
    s = spec()
    kw = messages_kwargs(s, req(s, ("user", "q"), ("assistant", "a"), ("user", "q2")))
    assert "system" not in kw and "extra_body" not in kw and "stop_sequences" not in kw
    assert [m["role"] for m in kw["messages"]] == ["user", "assistant", "user"]


def test_missing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(ConfigError) as e:
        AnthropicProvider(spec())
    assert str(e.value) == (
        "environment variable ANTHROPIC_API_KEY is not set (needed by model 'claude')"
    )
