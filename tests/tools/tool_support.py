"""Specs, requests and providers shared by the tools / streaming / http tests."""

from __future__ import annotations

from typing import Any

from fakeserver import FakeLLMServer

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.domain.tools import ToolChoice, ToolSpec
from llmeval.providers.anthropic import AnthropicProvider
from llmeval.providers.openai import OpenAIProvider

WEATHER = ToolSpec(
    "get_weather",
    "Current weather in a city",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
        "required": ["city"],
    },
)
TIME = ToolSpec("get_time", "", {"type": "object", "properties": {"tz": {"type": "string"}}})
TOOLS = (WEATHER, TIME)

# (label, provider, api): every wire format llmeval speaks
FORMATS = [
    ("chat", "openai", "chat"),
    ("responses", "openai", "responses"),
    ("anthropic", "anthropic", "chat"),
]
PATHS = {"chat": "/v1/chat/completions", "responses": "/v1/responses", "anthropic": "/v1/messages"}


def spec_for(server: FakeLLMServer, provider: str, api: str = "chat", **kw: Any) -> ModelSpec:
    url = server.openai_base_url if provider == "openai" else server.anthropic_base_url
    model = "gpt-4o-mini" if provider == "openai" else "claude-haiku-4-5"
    return ModelSpec(alias="m", provider=provider, model=model, base_url=url, api=api, **kw)


def provider_for(spec: ModelSpec) -> Any:
    return OpenAIProvider(spec) if spec.provider == "openai" else AnthropicProvider(spec)


def request(
    spec: ModelSpec,
    *messages: Message,
    tools: tuple[ToolSpec, ...] = TOOLS,
    choice: ToolChoice | None = None,
    **params: Any,
) -> CompletionRequest:
    msgs = messages or (Message("system", "be useful"), Message("user", "weather in Paris?"))
    return CompletionRequest(
        model=spec, messages=msgs, params=params, tools=tools, tool_choice=choice
    )


async def complete(spec: ModelSpec, req: CompletionRequest) -> Any:
    p = provider_for(spec)
    try:
        return await p.complete(req)
    finally:
        await p.aclose()
