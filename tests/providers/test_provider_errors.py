"""Every error class through the real SDKs over HTTP, plus the pure classifier."""

from __future__ import annotations

import email.utils
import traceback

import pytest
from fakeserver import FakeLLMServer

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.errors import (
    AuthenticationError,
    BadRequestError,
    InputTooLongError,
    ProviderError,
    ProviderTimeout,
    QuotaExceededError,
    RateLimitError,
    TransientError,
)
from llmeval.providers.anthropic import AnthropicProvider
from llmeval.providers.errors import classify, error_fields, retry_after_seconds
from llmeval.providers.openai import OpenAIProvider

CANARY = "sk-canary-9f8e7d6c5b4a39281706"
PROVIDERS = ["openai", "anthropic"]


def make(kind: str, server: FakeLLMServer, **kw: object) -> OpenAIProvider | AnthropicProvider:
    if kind == "openai":
        s = ModelSpec("m", "openai", "gpt-4o-mini", base_url=server.openai_base_url, **kw)
        return OpenAIProvider(s)  # type: ignore[arg-type]
    s = ModelSpec("m", "anthropic", "claude-haiku-4-5", base_url=server.anthropic_base_url, **kw)
    return AnthropicProvider(s)  # type: ignore[arg-type]


async def call(p: OpenAIProvider | AnthropicProvider) -> ProviderError:
    request = CompletionRequest(model=p.spec, messages=(Message("user", "hello"),))
    try:
        with pytest.raises(ProviderError) as info:
            await p.complete(request)
    finally:
        await p.aclose()
    return info.value


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)


CASES = [
    # fault kind, params, expected class, expected status
    ("auth", {}, AuthenticationError, 401),
    ("forbidden", {}, AuthenticationError, 403),
    ("bad_request", {}, BadRequestError, 400),
    ("not_found", {}, BadRequestError, 404),
    ("custom", {"status": 422, "body": {"error": {"message": "bad"}}}, BadRequestError, 422),
    ("quota", {}, QuotaExceededError, None),
    ("rate_limit", {}, RateLimitError, 429),
    ("server_error", {}, TransientError, 500),
    ("unavailable", {}, TransientError, 503),
    ("overloaded", {}, TransientError, 529),
    ("custom", {"status": 408, "body": {}}, TransientError, 408),
    ("custom", {"status": 409, "body": {}}, TransientError, 409),
    ("disconnect", {}, TransientError, None),
    ("malformed", {}, TransientError, None),
    ("error_body", {}, TransientError, None),
    ("empty", {}, TransientError, None),
    ("custom", {"status": 200, "body": "plain text, not json"}, TransientError, None),
]


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(("fault", "params", "cls", "status"), CASES)
async def test_fault_maps_to_error_class(
    fake_server: FakeLLMServer,
    provider: str,
    fault: str,
    params: dict[str, object],
    cls: type[ProviderError],
    status: int | None,
) -> None:
    fake_server.fail_next(fault, **params)
    err = await call(make(provider, fake_server))
    assert type(err) is cls, err
    if status is not None:
        assert err.status == status
    assert err.message.startswith(provider)
    assert len(err.message) < 300


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_hanging_request_is_a_provider_timeout(
    fake_server: FakeLLMServer, provider: str
) -> None:
    fake_server.fail_next("hang", seconds=5)
    err = await call(make(provider, fake_server, timeout_s=0.2))
    assert type(err) is ProviderTimeout and err.kind == "timeout"


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"retry_after": 7}, 7.0),
        ({"retry_after": "1.5"}, 1.5),
        ({"retry_after_ms": 250, "retry_after": 9}, 0.25),  # -ms wins
        ({"retry_after_date": 30}, 30.0),
        ({}, None),
    ],
)
async def test_rate_limit_carries_retry_after(
    fake_server: FakeLLMServer, provider: str, params: dict[str, object], expected: float | None
) -> None:
    fake_server.fail_next("rate_limit", **params)
    err = await call(make(provider, fake_server))
    assert isinstance(err, RateLimitError)
    if expected is None:
        assert err.retry_after is None
    else:
        assert err.retry_after == pytest.approx(expected, abs=1.5)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fault", ["auth", "bad_request", "quota", "error_body"])
async def test_echoed_key_never_reaches_the_error(
    fake_server: FakeLLMServer, provider: str, fault: str
) -> None:
    fake_server.fail_next(fault, echo_key=True)
    err = await call(make(provider, fake_server))
    # the server really did echo the key back...
    assert CANARY.encode() in fake_server.requests[0].body or CANARY in str(
        fake_server.requests[0].headers
    )
    # ...and none of it survives in what the error exposes
    rendered = "".join(traceback.format_exception(err))
    for text in (str(err), repr(err), err.message, rendered, repr(err.args)):
        assert CANARY not in text
    assert "[REDACTED]" in err.message
    assert err.__cause__ is None and err.__context__ is None


async def test_auth_error_names_the_env_var(fake_server: FakeLLMServer) -> None:
    fake_server.fail_next("auth")
    err = await call(make("openai", fake_server))
    assert "OPENAI_API_KEY" in err.message and err.fatal


async def test_anthropic_spend_limit_429_is_quota(fake_server: FakeLLMServer) -> None:
    body = {
        "type": "error",
        "error": {
            "type": "rate_limit_error",
            "message": "spend limit reached",
            "details": {"error_code": "enforced_spend_limit_reached"},
        },
    }
    fake_server.fail_next("custom", status=429, body=body)
    err = await call(make("anthropic", fake_server))
    assert type(err) is QuotaExceededError and err.fatal


async def test_openai_context_length_is_input_too_long(fake_server: FakeLLMServer) -> None:
    body = {"error": {"message": "too long", "type": "invalid_request_error",
                      "code": "context_length_exceeded"}}  # fmt: skip
    fake_server.fail_next("custom", status=400, body=body)
    err = await call(make("openai", fake_server))
    assert type(err) is InputTooLongError


@pytest.mark.parametrize(
    ("status", "etype", "code", "message", "cls"),
    [
        (401, None, None, "", AuthenticationError),
        (403, "permission_error", None, "", AuthenticationError),
        (402, None, None, "", QuotaExceededError),
        (429, "insufficient_quota", "insufficient_quota", "", QuotaExceededError),
        (400, "invalid_request_error", None, "Your credit balance is too low", QuotaExceededError),
        (400, "billing_error", None, "", QuotaExceededError),
        (429, "rate_limit_error", None, "", RateLimitError),
        (429, "rate_limit_error", "ramp_limit_exceeded", "", RateLimitError),
        (400, None, None, "", BadRequestError),
        (413, None, None, "", BadRequestError),
        (418, None, None, "", BadRequestError),
        (408, None, None, "", TransientError),
        (409, None, None, "", TransientError),
        (500, None, None, "", TransientError),
        (502, None, None, "", TransientError),
        (529, "overloaded_error", None, "", TransientError),
    ],
)
def test_classify(status: int, etype: str, code: str, message: str, cls: type) -> None:
    assert classify(status, etype, code, message) is cls


def test_retry_after_parsing() -> None:
    now = 1_000_000.0
    date = email.utils.formatdate(now + 12, usegmt=True)
    assert retry_after_seconds({"Retry-After": date}, now=now) == pytest.approx(12)
    assert retry_after_seconds({"retry-after": email.utils.formatdate(now - 5)}, now=now) == 0.0
    assert retry_after_seconds({"retry-after-ms": "oops", "retry-after": "3"}) == 3.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_error_fields_shapes() -> None:
    assert error_fields({"error": {"type": "t", "code": "c", "message": "m"}}) == ("t", "c", "m")
    assert error_fields({"type": "t", "message": "m"}) == ("t", None, "m")  # openai unwraps
    assert error_fields('{"error": "flat"}') == (None, None, "flat")
    assert error_fields("<html>bad gateway</html>") == (None, None, "<html>bad gateway</html>")
    assert error_fields(None) == (None, None, "")
