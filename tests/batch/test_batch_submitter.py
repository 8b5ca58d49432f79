"""BatchSubmitter through the real openai / anthropic SDKs against the fake batch APIs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_child import model, requests
from fakeserver import FakeLLMServer

from llmeval.domain.model import Price
from llmeval.errors import BadRequestError, TransientError
from llmeval.providers.batch import BatchNotProcessed, BatchSubmitter, batch_backend, summarize
from llmeval.providers.batch.results import BatchExpired
from llmeval.providers.cache import ResponseCache
from llmeval.providers.pricing import BATCH_FACTOR, table_price

APIS = ["openai", "anthropic"]


def submitter(srv: FakeLLMServer, api: str, folder: Path, **kw) -> BatchSubmitter:
    base = srv.openai_base_url if api == "openai" else srv.anthropic_base_url
    return BatchSubmitter(folder, batch_backend(model(api, base)), poll_s=0.01, **kw)


@pytest.mark.parametrize("api", APIS)
async def test_round_trip_fills_cache_at_batch_price(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path / "cache")
    sub = submitter(fake_server, api, tmp_path / "b", cache=cache)
    reqs = requests(sub.backend.spec, 40)
    answers = await sub.run(reqs)
    assert [answers[sub.key(r)].text for r in reqs] == [f"case {i} says hello" for i in range(40)]
    assert fake_server.batches.creates == 1 and sub.submitted_batches == 1
    assert (
        set(fake_server.batches.processed.values()) == {1}
        and len(fake_server.batches.processed) == 40
    )
    # the cache holds every answer under the key a live call would use
    for r in reqs:
        hit = cache.get(sub.key(r))
        assert hit is not None and hit.text == r.messages[-1].content
    # cost: the batch price, half the list price of the same tokens
    c = answers[sub.key(reqs[0])]
    price = table_price(sub.backend.spec.model)
    assert price is not None and isinstance(c.cost_usd, float)
    assert c.cost_usd == pytest.approx(BATCH_FACTOR * price.cost(c.input_tokens, c.output_tokens))
    (state,) = summarize(tmp_path / "b")
    assert state.phase == "collected" and state.requests == 40 and state.batch_id
    # a second run sends nothing: every key is claimed (and cached)
    again = submitter(fake_server, api, tmp_path / "b", cache=cache)
    assert (await again.run(reqs)).keys() == answers.keys()
    assert fake_server.batches.creates == 1 and again.submitted_batches == 0
    cache.close()


@pytest.mark.parametrize("api", APIS)
async def test_cached_requests_are_not_submitted(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path / "cache")
    first = submitter(fake_server, api, tmp_path / "one", cache=cache)
    reqs = requests(first.backend.spec, 10)
    await first.run(reqs[:6])
    second = submitter(fake_server, api, tmp_path / "two", cache=cache)
    answers = await second.run(reqs)
    assert len(answers) == 10 and not any(isinstance(a, Exception) for a in answers.values())
    (state,) = summarize(tmp_path / "two")
    assert state.requests == 4  # only the 4 not cached were batched
    assert sum(fake_server.batches.processed.values()) == 10
    cache.close()


@pytest.mark.parametrize("api", APIS)
async def test_partial_failure_maps_each_request_to_its_error(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    def text(body):
        return json.dumps(body.get("messages"))

    fake_server.fail_when("bad_request", lambda b: "case 3 " in text(b))
    fake_server.fail_when("server_error", lambda b: "case 5 " in text(b))
    sub = submitter(fake_server, api, tmp_path / "b")
    reqs = requests(sub.backend.spec, 8)
    answers = await sub.run(reqs)
    assert isinstance(answers[sub.key(reqs[3])], BadRequestError)
    assert isinstance(answers[sub.key(reqs[5])], TransientError)
    ok = [i for i, r in enumerate(reqs) if not isinstance(answers[sub.key(r)], Exception)]
    assert ok == [0, 1, 2, 4, 6, 7]
    provider = sub.provider()  # what the engine calls per case
    assert (await provider.complete(reqs[0])).text == "case 0 says hello"
    with pytest.raises(BadRequestError) as err:
        await provider.complete(reqs[3])
    assert err.value.kind == "bad_request" and err.value.fatal


@pytest.mark.parametrize("api", APIS)
async def test_expiry_is_a_retryable_error_and_resume_sends_only_those(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    fake_server.batches.expire_after = 12
    sub = submitter(fake_server, api, tmp_path / "b")
    reqs = requests(sub.backend.spec, 30)
    answers = await sub.run(reqs)
    missing = [k for k, a in answers.items() if isinstance(a, BatchExpired)]
    assert len(missing) == 18 and sum(not isinstance(a, Exception) for a in answers.values()) == 12
    assert all(
        not a.fatal and a.kind == "batch_expired"
        for a in answers.values()
        if isinstance(a, Exception)
    )
    with pytest.raises(BatchExpired):
        await sub.provider().complete(reqs[-1])
    # resume once the provider keeps up: only the 18 never processed go again
    fake_server.batches.expire_after = None
    again = submitter(fake_server, api, tmp_path / "b")
    answers = await again.run(reqs)
    assert not any(isinstance(a, Exception) for a in answers.values())
    assert fake_server.batches.creates == 2
    assert [s.requests for s in summarize(tmp_path / "b")] == [30, 18]
    assert set(fake_server.batches.processed.values()) == {1}  # nothing answered twice


@pytest.mark.parametrize("api", APIS)
async def test_cancel_keeps_what_finished(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    fake_server.batches.delay_s = 3600  # it would run for an hour
    fake_server.batches.cancel_after = 4  # the provider finished 4 before the cancel landed
    sub = submitter(fake_server, api, tmp_path / "b")
    reqs = requests(sub.backend.spec, 10)
    await sub.submit(reqs)
    await sub.wait(timeout_s=0)  # one poll: still running
    assert [s.phase for s in summarize(tmp_path / "b")] == ["submitted"]
    await sub.cancel()
    await sub.wait()
    await sub.collect()
    answers = sub.answers(reqs)
    assert sum(not isinstance(a, Exception) for a in answers.values()) == 4
    assert sum(isinstance(a, BatchNotProcessed) for a in answers.values()) == 6
    (state,) = summarize(tmp_path / "b")
    assert state.cancel_requested and state.phase == "collected"
    assert state.remote_status in ("cancelled", "ended")


async def test_failed_validation_is_a_bad_request_for_every_case(
    fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    sub = submitter(fake_server, "openai", tmp_path / "b")
    reqs = requests(sub.backend.spec, 3)
    orig = sub.backend.upload

    async def broken_upload(entries):  # a JSONL file the API cannot read
        return await orig([*entries, "not an object"])  # type: ignore[list-item]

    sub.backend.upload = broken_upload  # type: ignore[method-assign]
    answers = await sub.run(reqs)
    assert all(isinstance(a, BadRequestError) for a in answers.values())
    assert "failed validation" in str(next(iter(answers.values())))


def test_batch_price_is_half_the_list_price() -> None:
    from llmeval.domain.model import ModelSpec
    from llmeval.providers.pricing import batch_price, cost

    assert batch_price(Price(2.0, 8.0)) == Price(1.0, 4.0)
    spec = ModelSpec(alias="m", provider="openai", model="x", price=Price(2.0, 8.0))
    assert cost(spec, None, 1_000_000, 1_000_000, batch=True) == pytest.approx(5.0)
    assert cost(spec, None, 1_000_000, 1_000_000) == pytest.approx(10.0)


def test_no_batch_api_is_a_config_error() -> None:
    from llmeval.domain.model import ModelSpec
    from llmeval.errors import ConfigError

    with pytest.raises(ConfigError, match="no batch API"):
        batch_backend(ModelSpec(alias="bot", provider="python", model="app.py:f"))


class Killed(BaseException):
    """Stands for the process dying right after the provider took the create."""


@pytest.mark.parametrize("api", APIS)
async def test_create_cut_off_after_the_provider_took_it_is_found_again(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    sub = submitter(fake_server, api, tmp_path / "b", create_grace_s=0.0)
    reqs = requests(sub.backend.spec, 6)
    real_create = sub.backend.create

    async def create_then_die(state, entries):
        await real_create(state, entries)  # the provider has the batch...
        raise Killed  # ...and we never recorded its id

    sub.backend.create = create_then_die  # type: ignore[method-assign]
    with pytest.raises(Killed):
        await sub.run(reqs)
    assert [s.phase for s in summarize(tmp_path / "b")] == ["creating"]
    # another batch of the same size in the window must not be mistaken for ours
    other = submitter(fake_server, api, tmp_path / "other")
    await other.submit(requests(other.backend.spec, 12)[6:])
    resumed = submitter(fake_server, api, tmp_path / "b", create_grace_s=0.0)
    answers = await resumed.run(reqs)
    assert resumed.adopted_batches == 1 and resumed.submitted_batches == 0
    assert not any(isinstance(a, Exception) for a in answers.values())
    assert fake_server.batches.creates == 2  # ours once, the other once
    ours = summarize(tmp_path / "b")[0].batch_id
    assert ours != summarize(tmp_path / "other")[0].batch_id


@pytest.mark.parametrize("api", APIS)
async def test_killed_before_the_create_reached_the_provider_creates_once(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    sub = submitter(fake_server, api, tmp_path / "b", create_grace_s=0.0)
    reqs = requests(sub.backend.spec, 5)

    async def die(state, entries):
        raise Killed

    sub.backend.create = die  # type: ignore[method-assign]
    with pytest.raises(Killed):
        await sub.run(reqs)
    resumed = submitter(fake_server, api, tmp_path / "b", create_grace_s=0.0)
    await resumed.run(reqs)
    assert resumed.adopted_batches == 0 and resumed.submitted_batches == 1
    assert fake_server.batches.creates == 1


async def test_resume_needs_the_recorded_requests(
    fake_server: FakeLLMServer, tmp_path: Path
) -> None:
    sub = submitter(fake_server, "openai", tmp_path / "b")
    reqs = requests(sub.backend.spec, 4)

    async def die(entries):
        raise Killed

    sub.backend.upload = die  # type: ignore[method-assign]
    with pytest.raises(Killed):
        await sub.submit(reqs)
    resumed = submitter(fake_server, "openai", tmp_path / "b")
    with pytest.raises(ValueError, match="not given to resume it"):
        await resumed.submit(reqs[:2])
    assert fake_server.batches.creates == 0
