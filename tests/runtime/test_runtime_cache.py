from __future__ import annotations

import asyncio
import multiprocessing
import os
from dataclasses import replace
from pathlib import Path

import pytest
from runtime_fakes import FakeProvider, cache_worker, request, spec

from llmeval.domain.prompt import Message
from llmeval.domain.request import Completion
from llmeval.errors import ReplayMissError, TransientError
from llmeval.providers.cache import (
    Cached,
    ResponseCache,
    cache_key,
    canonical_request,
    endpoint_host,
)

HOST = "api.openai.com"


@pytest.fixture
def cache(tmp_path: Path) -> ResponseCache:
    c = ResponseCache(tmp_path / "cache")
    yield c
    c.close()


async def test_hit_makes_no_inner_call_and_keeps_tokens(cache: ResponseCache) -> None:
    base = FakeProvider()
    cached = Cached(base, cache, "use", HOST)
    first = await cached.complete(request("q"))
    second = await cached.complete(request("q"))
    assert base.calls == 1
    assert not first.cached and second.cached
    assert second.text == first.text == "answer: q"
    assert (second.model_id, second.input_tokens, second.output_tokens) == ("gpt-x-2024", 7, 3)
    assert second.cost_usd is None  # the engine recomputes cost
    assert (cached.counts.hits, cached.counts.misses) == (1, 1)
    assert cache.stats()["entries"] == 1 and cache.stats()["hits"] == 1


async def test_failures_are_never_cached(cache: ResponseCache) -> None:
    def script(_r, n):
        if n == 1:
            raise TransientError("boom", status=500)
        return None

    cached = Cached(FakeProvider(script), cache, "use", HOST)
    with pytest.raises(TransientError):
        await cached.complete(request("q"))
    assert cache.stats()["entries"] == 0
    assert (await cached.complete(request("q"))).text == "answer: q"
    assert cache.stats()["entries"] == 1


@pytest.mark.parametrize(
    "completion",
    [
        Completion(text=""),
        Completion(text="  \n"),
        Completion(text="partial", finish_reason="error"),
    ],
)
async def test_empty_or_error_answers_are_not_cached(
    cache: ResponseCache, completion: Completion
) -> None:
    base = FakeProvider(lambda _r, _n: completion)
    cached = Cached(base, cache, "use", HOST)
    await cached.complete(request("q"))
    await cached.complete(request("q"))
    assert base.calls == 2
    assert cache.stats()["entries"] == 0


async def test_ttl_expiry(tmp_path: Path) -> None:
    now = [1000.0]
    cache = ResponseCache(tmp_path, ttl_s=60, now=lambda: now[0])
    base = FakeProvider()
    cached = Cached(base, cache, "use", HOST)
    await cached.complete(request("q"))
    now[0] += 59
    assert (await cached.complete(request("q"))).cached
    now[0] += 2
    assert not (await cached.complete(request("q"))).cached
    assert base.calls == 2
    cache.close()


async def test_refresh_writes_without_reading(cache: ResponseCache) -> None:
    texts = iter(["old", "new"])
    base = FakeProvider(lambda _r, _n: next(texts))
    await Cached(base, cache, "use", HOST).complete(request("q"))
    refreshed = await Cached(base, cache, "refresh", HOST).complete(request("q"))
    assert refreshed.text == "new" and not refreshed.cached and base.calls == 2
    hit = await Cached(base, cache, "use", HOST).complete(request("q"))
    assert hit.cached and hit.text == "new" and base.calls == 2


async def test_off_neither_reads_nor_writes(cache: ResponseCache) -> None:
    base = FakeProvider()
    await Cached(base, cache, "use", HOST).complete(request("q"))
    off = Cached(base, cache, "off", HOST)
    assert not (await off.complete(request("q"))).cached
    await off.complete(request("other"))
    assert base.calls == 3 and cache.stats()["entries"] == 1


async def test_replay_reads_only_and_reports_misses(cache: ResponseCache) -> None:
    await Cached(FakeProvider(), cache, "use", HOST).complete(request("q"))
    base = FakeProvider()
    replay = Cached(base, cache, "replay", HOST)
    assert (await replay.complete(request("q"))).cached
    with pytest.raises(ReplayMissError, match=r"no cached response \(replay mode\)") as e:
        await replay.complete(request("unseen"))
    assert e.value.fatal
    assert base.calls == 0 and replay.counts.misses == 1


def test_unknown_mode_is_refused(cache: ResponseCache) -> None:
    with pytest.raises(ValueError, match="cache mode"):
        Cached(FakeProvider(), cache, "sometimes", HOST)


# ---- keys ------------------------------------------------------------------------

BASE_REQ = request("q", params={"temperature": 0.0, "max_tokens": 10})


@pytest.mark.parametrize(
    ("name", "other", "endpoint"),
    [
        ("repeat", replace(BASE_REQ, repeat=1), HOST),
        ("params", replace(BASE_REQ, params={"temperature": 0.5, "max_tokens": 10}), HOST),
        ("extra param", replace(BASE_REQ, params={**BASE_REQ.params, "seed": 1}), HOST),
        ("model", replace(BASE_REQ, model=spec(model="gpt-y")), HOST),
        ("provider", replace(BASE_REQ, model=spec(provider="anthropic")), HOST),
        ("host", BASE_REQ, "localhost:11434"),
        ("purpose", replace(BASE_REQ, purpose="judge"), HOST),
        ("message", replace(BASE_REQ, messages=(Message("user", "q "),)), HOST),
        ("role", replace(BASE_REQ, messages=(Message("system", "q"),)), HOST),
        ("model params", replace(BASE_REQ, model=spec(params={"top_p": 0.5})), HOST),
    ],
)
def test_key_changes_with_every_input(name: str, other, endpoint: str) -> None:
    assert cache_key(other, endpoint) != cache_key(BASE_REQ, HOST), name


def test_key_is_stable_and_ignores_param_order_alias_and_key_env() -> None:
    same = request("q", params={"max_tokens": 10, "temperature": 0.0})
    renamed = replace(same, model=spec(alias="other-alias", api_key_env="OTHER_KEY"))
    assert cache_key(same, HOST) == cache_key(BASE_REQ, HOST) == cache_key(renamed, HOST)
    assert len(cache_key(same, HOST)) == 64


def test_key_never_depends_on_api_key_value(monkeypatch: pytest.MonkeyPatch) -> None:
    canary = "sk-CANARY-123456"
    req = replace(BASE_REQ, model=spec(api_key_env="LLMEVAL_TEST_KEY"))
    monkeypatch.setenv("LLMEVAL_TEST_KEY", "sk-first")
    first = cache_key(req, HOST)
    monkeypatch.setenv("LLMEVAL_TEST_KEY", canary)
    assert cache_key(req, HOST) == first
    assert canary not in repr(canonical_request(req, HOST))
    assert "LLMEVAL_TEST_KEY" not in repr(canonical_request(req, HOST))


async def test_canary_key_never_reaches_cache_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    canary = "sk-CANARY-abcdef987"
    monkeypatch.setenv("LLMEVAL_TEST_KEY", canary)
    cache = ResponseCache(tmp_path)
    req = replace(BASE_REQ, model=spec(api_key_env="LLMEVAL_TEST_KEY"))
    await Cached(FakeProvider(), cache, "use", HOST).complete(req)
    cache.close()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert canary.encode() not in path.read_bytes(), path


def test_vars_count_only_for_providers_that_see_them() -> None:
    a = request("q", vars={"x": 1})
    b = request("q", vars={"x": 2})
    assert cache_key(a, HOST) == cache_key(b, HOST)  # openai never sees vars
    pa = replace(a, model=spec(provider="python", model="app.py:run"))
    pb = replace(b, model=spec(provider="python", model="app.py:run"))
    assert cache_key(pa, "local") != cache_key(pb, "local")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("openai", "api.openai.com"),
        ("https://api.openai.com/v1", "api.openai.com"),
        ("http://user:pw@localhost:11434/v1", "localhost:11434"),
        ("http://localhost:11434/v1", "http://LOCALHOST:11434/other"),
    ],
)
def test_endpoint_spellings_give_the_same_key(a: str, b: str) -> None:
    assert cache_key(BASE_REQ, a) == cache_key(BASE_REQ, b)


@pytest.mark.parametrize(
    ("provider", "base_url", "host"),
    [
        ("openai", None, "api.openai.com"),
        ("anthropic", None, "api.anthropic.com"),
        ("openai", "http://LocalHost:11434/v1", "localhost:11434"),
        ("openai", "https://user:secret@proxy.example.com/v1", "proxy.example.com"),
        ("python", None, "local"),
    ],
)
def test_endpoint_host(provider: str, base_url: str | None, host: str) -> None:
    assert endpoint_host(spec(provider=provider, base_url=base_url)) == host


# ---- in-flight dedup -------------------------------------------------------------------


async def test_identical_concurrent_requests_are_sent_once(cache: ResponseCache) -> None:
    base = FakeProvider(latency=0.01)
    cached = Cached(base, cache, "use", HOST)
    results = await asyncio.gather(*(cached.complete(request("same")) for _ in range(100)))
    assert base.calls == 1
    assert all(r.text == "answer: same" for r in results)
    assert sum(not r.cached for r in results) == 1  # only the leader paid
    assert cached.counts.deduped == 99
    assert cached._inflight == {}


async def test_followers_share_the_leaders_failure(cache: ResponseCache) -> None:
    def script(_r, n):
        if n == 1:
            raise TransientError("down", status=503)
        return None

    base = FakeProvider(script, latency=0.01)
    cached = Cached(base, cache, "use", HOST)
    results = await asyncio.gather(
        *(cached.complete(request("same")) for _ in range(10)), return_exceptions=True
    )
    assert base.calls == 1
    assert all(isinstance(r, TransientError) for r in results)
    assert (await cached.complete(request("same"))).text  # not stuck: a new call goes out
    assert base.calls == 2


async def test_cancelled_leader_does_not_cancel_followers(cache: ResponseCache) -> None:
    base = FakeProvider(latency=0.05)
    cached = Cached(base, cache, "use", HOST)
    leader = asyncio.ensure_future(cached.complete(request("same")))
    await asyncio.sleep(0.01)
    follower = asyncio.ensure_future(cached.complete(request("same")))
    await asyncio.sleep(0.01)
    leader.cancel()
    assert (await follower).text == "answer: same"
    assert base.calls == 1


# ---- processes, pickle, stats ------------------------------------------------------------


def test_two_processes_share_one_cache(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=cache_worker, args=(str(tmp_path), 40, start, out)) for _ in "ab"]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
        assert p.exitcode == 0
    expected = [f"answer q{i}" for i in range(40)]
    for calls, texts in results:
        assert texts == expected
        assert calls <= 40
    # a third process view: everything is there, nothing to call
    cache = ResponseCache(tmp_path)
    assert cache.stats()["entries"] == 40
    cache.close()
    results_again: list = []
    start2, out2 = ctx.Event(), ctx.Queue()
    p = ctx.Process(target=cache_worker, args=(str(tmp_path), 40, start2, out2))
    p.start()
    start2.set()
    results_again.append(out2.get(timeout=60))
    p.join(30)
    assert results_again[0] == (0, expected)


def test_pickled_entries_are_refused(tmp_path: Path) -> None:
    import diskcache

    with diskcache.Cache(str(tmp_path)) as raw:  # a foreign writer using pickle
        raw.set("k", {"text": "x"})
    cache = ResponseCache(tmp_path)
    with pytest.raises(ValueError, match="unpickle"):
        cache.get("k")
    with pytest.raises(TypeError):
        cache.db.set("k2", {"not": "json text"})
    cache.close()


async def test_stats_and_clear(cache: ResponseCache) -> None:
    cached = Cached(FakeProvider(), cache, "use", HOST)
    for q in ("a", "b", "a"):
        await cached.complete(request(q))
    stats = cache.stats()
    assert (stats["entries"], stats["hits"], stats["misses"]) == (2, 1, 2)
    assert stats["size_bytes"] >= 0
    assert cache.contains(cache_key(request("a"), HOST))
    assert cache.clear() == 2
    assert cache.stats()["entries"] == 0
    assert not cache.contains(cache_key(request("a"), HOST))


def test_cache_dir_created_lazily(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "cache"
    cache = ResponseCache(target)
    assert not target.exists()
    assert cache.stats()["entries"] == 0
    assert target.is_dir()
    cache.close()
    assert os.listdir(target)
