"""Tools reach the server in each wire format, and tool calls come back as ToolCalls."""

from __future__ import annotations

import pytest
from fakeserver import FakeLLMServer
from tool_support import FORMATS, PATHS, complete, request, spec_for

from llmeval.domain.prompt import Message
from llmeval.domain.tools import ToolCall, ToolChoice

CALLS = {
    "text": "checking",
    "tool_calls": [
        {"id": "call_a", "name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}},
        {"id": "call_b", "name": "get_time", "arguments": '{"tz": "Europe/Par'},  # cut off
    ],
}


async def test_chat_completions_sends_openai_tools_and_choice(fake_server: FakeLLMServer) -> None:
    spec = spec_for(fake_server, "openai")
    fake_server.script(CALLS)
    c = await complete(spec, request(spec, choice=ToolChoice("tool", "get_weather")))
    body = fake_server.requests[0].json
    assert body["tools"][0] == {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather in a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
                "required": ["city"],
            },
        },
    }
    assert body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert c.text == "checking" and c.finish_reason == "tool_calls"
    assert c.tool_calls == (
        ToolCall("get_weather", {"city": "Paris", "unit": "c"}, "call_a"),
        ToolCall("get_time", None, "call_b", raw_arguments='{"tz": "Europe/Par'),
    )


async def test_anthropic_gets_input_schema_and_typed_choice(fake_server: FakeLLMServer) -> None:
    spec = spec_for(fake_server, "anthropic")
    fake_server.script(
        {"tool_calls": [{"id": "toolu_1", "name": "get_weather", "arguments": {"city": "Oslo"}}]}
    )
    c = await complete(spec, request(spec, choice=ToolChoice("required")))
    body = fake_server.requests[0].json
    assert body["tools"][0]["name"] == "get_weather"
    assert body["tools"][0]["input_schema"]["required"] == ["city"]
    assert "parameters" not in body["tools"][0] and "description" not in body["tools"][1]
    assert body["tool_choice"] == {"type": "any"}
    assert c.text == "" and c.finish_reason == "tool_calls"  # stop_reason tool_use, normalised
    assert c.tool_calls == (ToolCall("get_weather", {"city": "Oslo"}, "toolu_1"),)


async def test_responses_api_flat_tools_and_function_calls(fake_server: FakeLLMServer) -> None:
    spec = spec_for(
        fake_server, "openai", "responses", params={"max_tokens": 50, "reasoning_effort": "low"}
    )
    fake_server.script(CALLS)
    c = await complete(spec, request(spec, choice=ToolChoice("tool", "get_time")))
    sent = fake_server.requests[0]
    assert sent.path == "/v1/responses"
    body = sent.json
    assert body["tools"][0]["type"] == "function" and body["tools"][0]["name"] == "get_weather"
    assert body["tool_choice"] == {"type": "function", "name": "get_time"}
    assert body["max_output_tokens"] == 50 and body["reasoning"] == {"effort": "low"}
    assert body["input"][0] == {"role": "system", "content": "be useful"}
    assert c.text == "checking" and c.finish_reason == "tool_calls"
    assert [t.name for t in c.tool_calls] == ["get_weather", "get_time"]
    assert c.tool_calls[1].raw_arguments == '{"tz": "Europe/Par'
    assert (c.input_tokens, c.output_tokens) == (5, 1)


async def test_responses_api_text_answer_and_length(fake_server: FakeLLMServer) -> None:
    spec = spec_for(fake_server, "openai", "responses")
    c = await complete(
        spec, request(spec, Message("user", "one two three four"), tools=(), max_tokens=2)
    )
    assert (c.text, c.finish_reason, c.tool_calls) == ("one two", "length", ())


@pytest.mark.parametrize(("label", "provider", "api"), FORMATS)
async def test_tool_loop_history_reaches_server(
    fake_server: FakeLLMServer, label: str, provider: str, api: str
) -> None:
    """A second step: the assistant's tool calls and the tool results, in each format."""
    spec = spec_for(fake_server, provider, api)
    call = ToolCall("get_weather", {"city": "Paris"}, "call_1")
    history = (
        Message("system", "be useful"),
        Message("user", "weather in Paris?"),
        Message("assistant", "", tool_calls=(call, ToolCall("get_time", {}, "call_2"))),
        Message("tool", '{"temp": 21}', tool_call_id="call_1"),
        Message("tool", "12:00", tool_call_id="call_2"),
    )
    fake_server.script("It is 21 degrees.")
    c = await complete(spec, request(spec, *history))
    assert c.text == "It is 21 degrees." and c.tool_calls == ()
    sent = fake_server.requests[0]
    assert sent.path == PATHS[label]
    body = sent.json
    if label == "chat":
        assistant = body["messages"][2]
        assert assistant["tool_calls"][0]["function"] == {
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
        }
        assert body["messages"][3] == {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": '{"temp": 21}',
        }
    elif label == "responses":
        kinds = [item.get("type", "message") for item in body["input"]]
        assert kinds == [
            "message",
            "message",
            "function_call",
            "function_call",
            "function_call_output",
            "function_call_output",
        ]
        assert body["input"][4] == {
            "type": "function_call_output",
            "call_id": "call_1",
            "output": '{"temp": 21}',
        }
    else:
        assert body["system"] == "be useful"
        assert body["messages"][1]["content"][0] == {
            "type": "tool_use",
            "id": "call_1",
            "name": "get_weather",
            "input": {"city": "Paris"},
        }
        # both results in one user message, as the Messages API requires
        results = body["messages"][2]
        assert results["role"] == "user" and [b["tool_use_id"] for b in results["content"]] == [
            "call_1",
            "call_2",
        ]
        assert len(body["messages"]) == 3


async def test_no_tools_sends_no_tool_fields(fake_server: FakeLLMServer) -> None:
    for provider in ("openai", "anthropic"):
        spec = spec_for(fake_server, provider)
        await complete(spec, request(spec, tools=()))
    assert all("tools" not in r.json and "tool_choice" not in r.json for r in fake_server.requests)
