from __future__ import annotations

import asyncio
import json

import pytest
from fakeserver import OPENAI_CHAT, FakeLLMServer

from llmeval.domain.model import ModelSpec, Price
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.errors import ConfigError
from llmeval.providers.openai import OpenAIProvider, chat_kwargs
from llmeval.providers.secrets import LOCAL_DUMMY_KEY

KEY = "sk-test-openai-0123456789"


def spec(server: FakeLLMServer | None = None, **kw: object) -> ModelSpec:
    base = {"alias": "m", "provider": "openai", "model": "gpt-4o-mini"}
    if server is not None:
        base["base_url"] = server.openai_base_url
    base.update(kw)
    return ModelSpec(**base)  # type: ignore[arg-type]


def req(s: ModelSpec, *msgs: tuple[str, str], **params: object) -> CompletionRequest:
    return CompletionRequest(model=s, messages=tuple(Message(r, c) for r, c in msgs), params=params)


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)


async def test_maps_response_text_tokens_model_and_finish(fake_server: FakeLLMServer) -> None:
    fake_server.model_suffix = "-2024-07-18"
    s = spec(fake_server)
    p = OpenAIProvider(s)
    try:
        c = await p.complete(req(s, ("system", "be brief"), ("user", "hello big world")))
    finally:
        await p.aclose()
    assert c.text == "hello big world"
    assert c.model_id == "gpt-4o-mini-2024-07-18"  # what the server said, not the config
    assert c.finish_reason == "stop"
    assert (c.input_tokens, c.output_tokens) == (5, 3)
    assert c.cost_usd == pytest.approx((5 * 0.15 + 3 * 0.60) / 1e6)
    assert c.latency_ms > 0
    sent = fake_server.requests[0]
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert sent.json["messages"][0] == {"role": "system", "content": "be brief"}


async def test_maps_sampling_params_and_length_finish(fake_server: FakeLLMServer) -> None:
    s = spec(fake_server, params={"temperature": 0.2, "seed": 7})
    p = OpenAIProvider(s)
    try:
        c = await p.complete(req(s, ("user", "one two three four"), max_tokens=2, top_p=0.5))
    finally:
        await p.aclose()
    body = fake_server.requests[0].json
    assert body["temperature"] == 0.2 and body["seed"] == 7 and body["top_p"] == 0.5
    assert body["max_tokens"] == 2  # a compatible server gets max_tokens
    assert (c.text, c.finish_reason, c.output_tokens) == ("one two", "length", 2)


async def test_stop_sequence_is_sent_as_list(fake_server: FakeLLMServer) -> None:
    s = spec(fake_server)
    p = OpenAIProvider(s)
    try:
        c = await p.complete(req(s, ("user", "alpha END beta"), stop="END"))
    finally:
        await p.aclose()
    assert fake_server.requests[0].json["stop"] == ["END"]
    assert c.text == "alpha "


def test_official_endpoint_gets_max_completion_tokens() -> None:
    s = spec(None, params={"max_tokens": 50})
    kw = chat_kwargs(s, req(s, ("user", "x")))
    assert kw["max_completion_tokens"] == 50 and "max_tokens" not in kw
    assert "seed" not in kw and "temperature" not in kw  # unset params are not sent


async def test_scripted_reply_and_price_override(fake_server: FakeLLMServer) -> None:
    fake_server.script("scripted answer")
    s = spec(fake_server, model="my-local-llama", price=Price(1.0, 2.0))
    p = OpenAIProvider(s)
    try:
        c = await p.complete(req(s, ("user", "ignored")))
    finally:
        await p.aclose()
    assert c.text == "scripted answer"
    assert c.cost_usd == pytest.approx((1 * 1.0 + 2 * 2.0) / 1e6)


async def test_unknown_model_has_no_cost(fake_server: FakeLLMServer) -> None:
    s = spec(fake_server, model="llama3.1:8b")
    p = OpenAIProvider(s)
    try:
        c = await p.complete(req(s, ("user", "hi")))
    finally:
        await p.aclose()
    assert c.cost_usd is None


def test_missing_key_is_a_config_error_before_any_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(ConfigError) as e:
        OpenAIProvider(spec(None, alias="gpt"))
    assert str(e.value) == "environment variable OPENAI_API_KEY is not set (needed by model 'gpt')"


def test_missing_custom_key_env_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOGETHER_API_KEY", raising=False)
    s = spec(
        None, alias="t", base_url="https://api.together.xyz/v1", api_key_env="TOGETHER_API_KEY"
    )
    with pytest.raises(ConfigError, match=r"TOGETHER_API_KEY is not set .*'t'"):
        OpenAIProvider(s)


async def test_local_server_needs_no_key(
    monkeypatch: pytest.MonkeyPatch, fake_server: FakeLLMServer
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    s = spec(fake_server)
    p = OpenAIProvider(s)
    try:
        c = await p.complete(req(s, ("user", "hi")))
    finally:
        await p.aclose()
    assert c.text == "hi"
    assert fake_server.requests[0].headers["authorization"] == f"Bearer {LOCAL_DUMMY_KEY}"


async def test_sdk_retries_are_off(fake_server: FakeLLMServer) -> None:
    fake_server.fail_next("server_error", n=3)
    s = spec(fake_server)
    p = OpenAIProvider(s)
    try:
        with pytest.raises(Exception):  # noqa: B017 - the class is tested elsewhere
            await p.complete(req(s, ("user", "hi")))
    finally:
        await p.aclose()
    assert fake_server.count(OPENAI_CHAT) == 1


async def test_timeout_comes_from_spec(fake_server: FakeLLMServer) -> None:
    fake_server.fail_next("hang", seconds=5)
    s = spec(fake_server, timeout_s=0.3)
    p = OpenAIProvider(s)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        with pytest.raises(Exception, match="timed out"):
            await p.complete(req(s, ("user", "hi")))
    finally:
        await p.aclose()
    assert loop.time() - t0 < 2.0


async def test_concurrent_calls_share_one_client(fake_server: FakeLLMServer) -> None:
    fake_server.latency_ms = 50
    s = spec(fake_server)
    p = OpenAIProvider(s)
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    try:
        out = await asyncio.gather(*(p.complete(req(s, ("user", f"q{i}"))) for i in range(20)))
    finally:
        await p.aclose()
    assert sorted(c.text for c in out) == sorted(f"q{i}" for i in range(20))
    assert loop.time() - t0 < 0.8  # 20 x 50 ms in parallel, not in series
    assert fake_server.ok_by_prompt() == {f"q{i}": 1 for i in range(20)}


def test_repr_hides_key() -> None:
    p = OpenAIProvider(spec(None))
    assert KEY not in repr(p) and KEY not in json.dumps(p.__repr__())
