"""provider: http — body template, env-referenced headers, JMESPath extraction, SSE,
and the same retry / cache stack as the SDK providers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fakeserver import APP_CHAT, APP_STREAM, FakeLLMServer

from llmeval.config.settings import load_settings
from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.domain.tools import ToolCall
from llmeval.errors import AuthenticationError, BadRequestError, ConfigError
from llmeval.providers.cache import ResponseCache
from llmeval.providers.http import HttpProvider
from llmeval.providers.stack import build_stack

TOKEN = "app-token-3f9c1e7a2b"


def app_model(server: FakeLLMServer, **over: Any) -> dict[str, Any]:
    model = {
        "provider": "http",
        "url": server.url + APP_CHAT,
        "headers": {"Authorization": "Bearer {{ env.APP_TOKEN }}", "X-Client": "llmeval"},
        "body": {
            "question": "{{ prompt }}",
            "history": "{{ messages[:-1] }}",
            "label": "case {{ vars.id }}: {{ prompt }}",
            "fixed": 3,
        },
        "extract": {
            "output": "answer.text",
            "input_tokens": "usage.in",
            "output_tokens": "usage.out",
            "tool_calls": "calls",
        },
        "timeout_s": 5,
    }
    model.update(over)
    return model


def load_spec(tmp_path: Path, model: dict[str, Any]) -> ModelSpec:
    (tmp_path / "llmeval.yaml").write_text(yaml.safe_dump({"models": {"app": model}}))
    return load_settings(tmp_path).models["app"]


def req(spec: ModelSpec, text: str, **vars: Any) -> CompletionRequest:
    msgs = (Message("system", "sys"), Message("user", "earlier"), Message("user", text))
    return CompletionRequest(model=spec, messages=msgs, vars={"id": 0, **vars})


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_TOKEN", TOKEN)


async def test_body_headers_and_extraction(fake_server: FakeLLMServer, tmp_path: Path) -> None:
    spec = load_spec(tmp_path, app_model(fake_server))
    hostile = 'say "hi" }, {{ 7*7 }} \\ \n done'
    fake_server.script(
        {"text": "the answer", "tool_calls": [{"name": "lookup", "arguments": {"q": "x"}}]}
    )
    p = HttpProvider(spec)
    try:
        c = await p.complete(req(spec, hostile, id=7))
    finally:
        await p.aclose()
    sent = fake_server.requests[0]
    assert (
        sent.headers["authorization"] == f"Bearer {TOKEN}" and sent.headers["x-client"] == "llmeval"
    )
    body = sent.json
    assert body["question"] == hostile  # JSON-escaped, never rendered again
    assert body["label"] == f"case 7: {hostile}"
    assert body["history"] == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "earlier"},
    ]
    assert body["fixed"] == 3
    assert c.text == "the answer"
    assert (c.input_tokens, c.output_tokens) == (len(hostile.split()) + 2, 2)
    assert c.tool_calls == (ToolCall("lookup", {"q": "x"}),)
    assert TOKEN not in repr(p)


async def test_cost_and_finish_reason_are_extracted(
    fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    extract = {"output": "answer.text", "cost": "length(answer.text)", "finish_reason": "'stop'"}
    spec = load_spec(tmp_path, app_model(fake_server, extract=extract))
    p = HttpProvider(spec)
    try:
        c = await p.complete(req(spec, "four"))
    finally:
        await p.aclose()
    assert (c.text, c.cost_usd, c.finish_reason) == ("four", 4.0, "stop")


async def test_json_text_body_escapes_values(fake_server: FakeLLMServer, tmp_path: Path) -> None:
    body = '{"question": {{ prompt }}, "history": [], "n": {{ vars.n }}}'
    spec = load_spec(tmp_path, app_model(fake_server, body=body))
    p = HttpProvider(spec)
    try:
        await p.complete(req(spec, 'a "quoted", {evil: 1}', n=2))
    finally:
        await p.aclose()
    assert fake_server.requests[0].json == {
        "question": 'a "quoted", {evil: 1}',
        "history": [],
        "n": 2,
    }


async def test_retries_500_through_the_stack_then_caches(
    fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    spec = load_spec(tmp_path, app_model(fake_server))
    fake_server.fail_next("server_error", 2, path=APP_CHAT)
    cache = ResponseCache(tmp_path / "cache")
    stack = build_stack(
        HttpProvider(spec), spec, cache=cache, retries=3, base_delay=0.01, max_delay=0.02
    )
    try:
        c = await stack.complete(req(spec, "hello there", id=1))
        again = await stack.complete(req(spec, "hello there", id=1))
        other = await stack.complete(req(spec, "hello there", id=2))  # vars are in the key
    finally:
        await stack.aclose()
        cache.close()
    assert c.text == "hello there" and again.cached and again.text == c.text
    assert [r.status for r in fake_server.requests] == [500, 500, 200, 200]
    assert stack.stats().retries == 2 and not other.cached


async def test_auth_failure_is_fatal_and_names_no_secret(
    fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    spec = load_spec(tmp_path, app_model(fake_server))
    fake_server.fail_next("auth", path=APP_CHAT, echo_key=True)
    stack = build_stack(HttpProvider(spec), spec, cache=None, retries=3, base_delay=0.01)
    try:
        with pytest.raises(AuthenticationError) as err:
            await stack.complete(req(spec, "q"))
    finally:
        await stack.aclose()
    assert fake_server.count() == 1 and TOKEN not in str(err.value)


async def test_output_expression_that_finds_nothing_is_transient(
    fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    from llmeval.errors import TransientError

    spec = load_spec(tmp_path, app_model(fake_server, extract={"output": "nope.missing"}))
    p = HttpProvider(spec)
    try:
        with pytest.raises(TransientError, match=r"nope\.missing"):
            await p.complete(req(spec, "q"))
    finally:
        await p.aclose()


async def test_undefined_template_variable_is_a_bad_request(
    fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    spec = load_spec(tmp_path, app_model(fake_server, body={"q": "{{ vars.absent }}"}))
    p = HttpProvider(spec)
    try:
        with pytest.raises(BadRequestError):
            await p.complete(req(spec, "q"))
    finally:
        await p.aclose()
    assert fake_server.count() == 0


async def test_sse_stream_is_assembled_with_ttft(tmp_path: Path) -> None:
    with FakeLLMServer(latency_ms=60, chunk_delay_ms=10) as srv:
        model = app_model(
            srv,
            url=srv.url + APP_STREAM,
            stream=True,
            stream_delta="delta",
            extract={"input_tokens": "usage.in", "output_tokens": "usage.out"},
        )
        spec = load_spec(tmp_path, model)
        srv.script("streamed words arrive one by one")
        p = HttpProvider(spec)
        try:
            c = await p.complete(req(spec, "go"))
        finally:
            await p.aclose()
    assert c.text == "streamed words arrive one by one"
    assert c.output_tokens == 6 and c.ttft_ms is not None and c.ttft_ms > 60
    assert c.latency_ms > c.ttft_ms + 30


def test_missing_header_env_var_is_a_config_error(
    fake_server: FakeLLMServer, tmp_path: Path, monkeypatch
) -> None:
    spec = load_spec(tmp_path, app_model(fake_server))
    monkeypatch.delenv("APP_TOKEN")
    with pytest.raises(ConfigError, match="APP_TOKEN is not set"):
        HttpProvider(spec)


async def test_api_key_env_sends_bearer(fake_server: FakeLLMServer, tmp_path: Path) -> None:
    model = app_model(fake_server, headers={}, api_key_env="APP_TOKEN")
    spec = load_spec(tmp_path, model)
    p = HttpProvider(spec)
    try:
        await p.complete(req(spec, "q"))
    finally:
        await p.aclose()
    assert fake_server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
