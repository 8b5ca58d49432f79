"""Tools in the cache key; tool calls survive the cache (JSON values) with 0 requests."""

from __future__ import annotations

import dataclasses

import pytest
from fakeserver import FakeLLMServer
from tool_support import FORMATS, TOOLS, WEATHER, provider_for, request, spec_for

from llmeval.domain.prompt import Message
from llmeval.domain.tools import ToolCall, ToolChoice
from llmeval.providers.cache import ResponseCache, cache_key, canonical_request
from llmeval.providers.stack import build_stack

REPLY = {
    "tool_calls": [
        {"id": "c1", "name": "get_weather", "arguments": {"city": "Rome"}},
        {"id": "c2", "name": "get_time", "arguments": "not json"},
    ]
}


@pytest.mark.parametrize(("label", "provider", "api"), FORMATS)
async def test_cached_rerun_returns_same_tool_calls_without_requests(
    fake_server: FakeLLMServer, tmp_path, label: str, provider: str, api: str
) -> None:
    spec = spec_for(fake_server, provider, api)
    cache = ResponseCache(tmp_path / "cache")
    req = request(spec, choice=ToolChoice("auto"))
    results = []
    for _ in range(2):  # two stacks: a second process reading the same cache
        base = provider_for(spec)
        stack = build_stack(base, spec, cache=cache, endpoint=spec.base_url or "")
        try:
            fake_server.script(REPLY)
            results.append(await stack.complete(req))
        finally:
            await stack.aclose()
    first, second = results
    assert fake_server.count(status=200) == 1
    assert not first.cached and second.cached
    assert second.tool_calls == first.tool_calls
    assert second.tool_calls[0] == ToolCall("get_weather", {"city": "Rome"}, "c1")
    if provider == "openai":  # Anthropic's wire format has no unparsable arguments
        assert second.tool_calls[1].raw_arguments == "not json"
    assert second.finish_reason == "tool_calls"
    cache.close()


def test_tools_and_choice_are_part_of_the_key(fake_server: FakeLLMServer) -> None:
    spec = spec_for(fake_server, "openai")
    plain = request(spec, tools=())
    with_tools = request(spec)
    other_schema = request(
        spec, tools=(dataclasses.replace(WEATHER, description="changed"), *TOOLS[1:])
    )
    forced = request(spec, choice=ToolChoice("tool", "get_weather"))
    keys = {cache_key(r, spec.base_url or "") for r in (plain, with_tools, other_schema, forced)}
    assert len(keys) == 4
    # a request without tools keeps its old canonical form (existing caches still hit)
    assert "tools" not in canonical_request(plain, "x") and "tool_choice" not in canonical_request(
        plain, "x"
    )


def test_tool_history_and_api_are_part_of_the_key(fake_server: FakeLLMServer) -> None:
    spec = spec_for(fake_server, "openai")
    user = Message("user", "q")
    a = request(spec, user, Message("assistant", "", tool_calls=(ToolCall("f", {"x": 1}, "1"),)))
    b = request(spec, user, Message("assistant", "", tool_calls=(ToolCall("f", {"x": 2}, "1"),)))
    responses = request(
        dataclasses.replace(spec, api="responses"),
        user,
        Message("assistant", "", tool_calls=(ToolCall("f", {"x": 1}, "1"),)),
    )
    streamed = request(
        dataclasses.replace(spec, stream=True),
        user,
        Message("assistant", "", tool_calls=(ToolCall("f", {"x": 1}, "1"),)),
    )
    key = lambda r: cache_key(r, "h")  # noqa: E731
    assert len({key(a), key(b), key(responses)}) == 3
    assert key(streamed) == key(a)  # a streamed answer is the same answer


def test_a_tool_call_only_answer_is_cached(tmp_path) -> None:
    from llmeval.domain.request import Completion

    cache = ResponseCache(tmp_path / "c")
    done = Completion(
        text="",
        finish_reason="tool_calls",
        tool_calls=(ToolCall("f", {"a": [1, "x"]}, "id1"),),
        ttft_ms=12.5,
    )
    assert cache.put("k", done)
    hit = cache.get("k")
    assert (
        hit is not None and hit.tool_calls == done.tool_calls and hit.ttft_ms == 12.5 and hit.cached
    )
    assert not cache.put("k2", Completion(text="  "))  # still: nothing to keep
    cache.close()


def test_a_secret_echoed_into_tool_arguments_is_not_stored(tmp_path, monkeypatch) -> None:
    from llmeval.domain.request import Completion

    monkeypatch.setenv("MY_SERVICE_API_KEY", "supersecretvalue123")
    cache = ResponseCache(tmp_path / "c")
    cache.put(
        "k", Completion(text="", tool_calls=(ToolCall("f", {"token": "supersecretvalue123"}),))
    )
    hit = cache.get("k")
    assert hit is not None and hit.tool_calls[0].arguments == {"token": "[REDACTED]"}
    raw = b"".join(p.read_bytes() for p in (tmp_path / "c").rglob("*") if p.is_file())
    assert b"supersecretvalue123" not in raw
    cache.close()
