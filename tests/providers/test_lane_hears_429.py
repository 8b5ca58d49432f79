"""The lane hears a 429 the moment its headers arrive, through the real SDKs.

A Retry-After past the lane's cap stops the whole model. Between the 429's headers
and the SDK raising its error lies the read of the body; a worker that finished
another request meanwhile must not send one more (the AIMD race of issue 15).
"""

from __future__ import annotations

import asyncio

import pytest
from fakeserver import FakeLLMServer
from test_provider_errors import PROVIDERS, make

from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.errors import CircuitOpenError
from llmeval.providers.stack import build_stack


def _request(p: object, text: str) -> CompletionRequest:
    return CompletionRequest(model=p.spec, messages=(Message("user", text),))  # type: ignore[attr-defined]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_no_request_is_sent_after_the_429_headers_arrive(
    fake_server: FakeLLMServer, provider: str
) -> None:
    fake_server.latency_ms = 5
    # answered at once, but its body comes 400 ms after its headers
    fake_server.fail_next("rate_limit", 1, retry_after=3600, latency_ms=0, body_delay_ms=400)
    base = make(provider, fake_server)
    stack = build_stack(base, base.spec, cache=None, retries=1, concurrency=2)
    base.warm()  # the SDK imported and its client built before the clock matters
    limited = asyncio.create_task(stack.complete(_request(base, "limited")))
    for _ in range(200):  # until the server has it (answered at once)
        await asyncio.sleep(0.01)
        if fake_server.count():
            break
    await asyncio.sleep(0.05)  # its headers are in; its body is not, for a while yet
    sent_before = fake_server.count()
    errors: list[BaseException] = []
    for i in range(20):  # a worker that keeps finishing and taking the next case
        try:
            await stack.complete(_request(base, f"next {i}"))
        except CircuitOpenError as e:
            errors.append(e)
            break
    with pytest.raises(CircuitOpenError, match="3600"):
        await limited
    await stack.aclose()
    assert errors and "3600" in str(errors[0])
    assert fake_server.count() == sent_before == 1  # nothing sent after the 429
    assert stack.lane.pauses == 1
