"""stream: true — the completion is assembled from SSE in each API, and time to first
token is measured (it must include the server's delay before the first byte)."""

from __future__ import annotations

import pytest
from fakeserver import FakeLLMServer
from tool_support import FORMATS, PATHS, complete, request, spec_for

from llmeval.domain.prompt import Message
from llmeval.domain.tools import ToolCall

TEXT = "the quick brown fox jumps over the lazy dog"
DELAY_MS = 80.0
CHUNK_MS = 15.0


@pytest.fixture
def slow_server():
    with FakeLLMServer(latency_ms=DELAY_MS, chunk_delay_ms=CHUNK_MS) as srv:
        yield srv


@pytest.mark.parametrize(("label", "provider", "api"), FORMATS)
async def test_stream_assembles_text_and_measures_ttft(
    slow_server: FakeLLMServer, label: str, provider: str, api: str
) -> None:
    spec = spec_for(slow_server, provider, api, stream=True)
    slow_server.script(TEXT)
    c = await complete(spec, request(spec, Message("user", "say it"), tools=()))
    sent = slow_server.requests[0]
    assert sent.path == PATHS[label] and sent.json["stream"] is True
    assert c.text == TEXT
    assert c.finish_reason == "stop" and c.output_tokens == 9
    assert c.ttft_ms is not None and c.ttft_ms > DELAY_MS
    # nine words arrive CHUNK_MS apart: the whole answer takes clearly longer than the first
    # token, in every API (the Responses API's burst was the SDK importing its Responses
    # types while parsing the first event; the provider imports them with the client now)
    assert c.tokens_per_s is not None and c.tokens_per_s > 0
    assert c.latency_ms > c.ttft_ms + 5 * CHUNK_MS, (c.latency_ms, c.ttft_ms)
    assert c.tokens_per_s < 9 / (5 * CHUNK_MS / 1000)


@pytest.mark.parametrize(("label", "provider", "api"), FORMATS)
async def test_stream_assembles_tool_calls(
    fake_server: FakeLLMServer, label: str, provider: str, api: str
) -> None:
    spec = spec_for(fake_server, provider, api, stream=True)
    fake_server.script(
        {
            "text": "one moment",
            "tool_calls": [
                {"id": "c9", "name": "get_weather", "arguments": {"city": "Lima", "unit": "c"}}
            ],
        }
    )
    c = await complete(spec, request(spec))
    assert c.text == "one moment" and c.finish_reason == "tool_calls"
    assert c.tool_calls == (ToolCall("get_weather", {"city": "Lima", "unit": "c"}, "c9"),)


@pytest.mark.parametrize(("label", "provider", "api"), FORMATS)
async def test_unstreamed_answer_has_no_ttft(
    fake_server: FakeLLMServer, label: str, provider: str, api: str
) -> None:
    spec = spec_for(fake_server, provider, api)
    c = await complete(spec, request(spec, tools=()))
    assert c.ttft_ms is None and c.tokens_per_s is None
    assert "stream" not in fake_server.requests[0].json


async def test_chat_stream_asks_for_usage(fake_server: FakeLLMServer) -> None:
    spec = spec_for(fake_server, "openai", stream=True)
    c = await complete(spec, request(spec, Message("user", "a b c"), tools=()))
    assert fake_server.requests[0].json["stream_options"] == {"include_usage": True}
    assert (c.input_tokens, c.output_tokens) == (3, 3)


async def test_stream_http_error_maps_like_unstreamed(fake_server: FakeLLMServer) -> None:
    from llmeval.errors import RateLimitError

    spec = spec_for(fake_server, "anthropic", stream=True)
    fake_server.fail_next("rate_limit", retry_after=2)
    with pytest.raises(RateLimitError) as err:
        await complete(spec, request(spec, tools=()))
    assert err.value.retry_after == 2
