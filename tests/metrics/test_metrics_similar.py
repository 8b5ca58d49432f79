"""similar / similar:dot / similar:euclidean through the real OpenAI SDK's
``embeddings.create`` against the fake server, via the engine's services and the
provider stack (so the cache is exercised too)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from fakeserver import FakeLLMServer, fake_embedding

from llmeval.domain.model import ModelSpec
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.engine.services import EngineServices
from llmeval.judge.bundled import bundled_prompt
from llmeval.metrics import registry
from llmeval.metrics.apply import finalize
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.similar import similarity
from llmeval.providers.cache import ResponseCache
from llmeval.providers.embeddings import create
from llmeval.providers.stack import build_stack


def services(base_url: str, cache_dir: Path) -> EngineServices:
    spec = ModelSpec(
        alias="emb", provider="openai", model="text-embedding-3-small", base_url=base_url
    )
    cache = ResponseCache(cache_dir, None)

    def embedder_for(s: ModelSpec) -> Any:
        return build_stack(create(s, cache_dir), s, cache=cache, endpoint=base_url)

    return EngineServices(
        default_judge=None,
        resolve=lambda name: spec,
        provider_for=lambda s: None,  # type: ignore[arg-type,return-value]
        load_prompt=bundled_prompt,
        cost=lambda s, c: None,
        embedder_for=embedder_for,
    )


async def run(svc: EngineServices, type_: str, value: Any, output: str, **kw: Any) -> Any:
    negate = type_.startswith("not-")
    opts = {"provider": "emb", **kw.pop("options", {})}
    spec = AssertionSpec(
        type=type_.removeprefix("not-"), value=value, negate=negate, options=opts, **kw
    )
    defn, fn = registry.build(spec, BuildContext(root=Path.cwd()))
    raw = await fn(ScoreContext(output=output, case=Case(id="c")), svc.for_item())
    return finalize(defn, spec, raw)


@pytest.fixture
def svc(fake_server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-embed-0123456789")
    return services(fake_server.openai_base_url, tmp_path / "cache")


async def test_cosine_pass_and_fail(svc: EngineServices, fake_server: FakeLLMServer) -> None:
    same = await run(
        svc, "similar", "The capital of France is Paris", "the capital of france is paris"
    )
    assert same.passed is True and same.score == pytest.approx(1.0)
    far = await run(svc, "similar", "The capital of France is Paris", "bananas grow on trees")
    assert far.passed is False and far.score < 0.75
    want = similarity(
        "cosine",
        fake_embedding("bananas grow on trees"),
        fake_embedding("The capital of France is Paris"),
    )
    assert far.score == pytest.approx(max(0.0, want))
    assert fake_server.count("/v1/embeddings") == 2


async def test_cached_second_time(svc: EngineServices, fake_server: FakeLLMServer) -> None:
    await run(svc, "similar", "hello world", "hello world")
    await run(svc, "similar", "hello world", "hello world")
    assert fake_server.count("/v1/embeddings") == 1


async def test_list_takes_the_best_and_not_similar_inverts(svc: EngineServices) -> None:
    r = await run(svc, "similar", ["bananas", "hello world"], "hello world")
    assert r.passed is True
    inv = await run(svc, "not-similar", ["bananas", "hello world"], "hello world")
    assert inv.passed is False  # close to one of them
    inv = await run(svc, "not-similar", ["bananas", "apples"], "hello world")
    assert inv.passed is True


async def test_threshold_and_metric_variants(svc: EngineServices) -> None:
    r = await run(svc, "similar:dot", "a b c d", "a b c", threshold=0.5)
    assert r.score == pytest.approx(
        similarity("dot", fake_embedding("a b c"), fake_embedding("a b c d"))
    )
    e = await run(svc, "similar:euclidean", "hello world", "hello world")
    assert e.score == pytest.approx(1.0)  # distance 0 -> 1 / (1 + 0)
    d = math.dist(fake_embedding("x y"), fake_embedding("z"))
    e = await run(svc, "similar:euclidean", "z", "x y")
    assert e.score == pytest.approx(1 / (1 + d)) and e.passed is False


async def test_provider_error_is_unscored(svc: EngineServices, fake_server: FakeLLMServer) -> None:
    fake_server.fail_next("auth", path="/v1/embeddings")
    r = await run(svc, "similar", "hello", "hello")
    assert r.status == "error"


async def test_without_a_model_it_is_skipped(tmp_path: Path) -> None:
    svc = EngineServices(
        default_judge=None,
        resolve=lambda n: None,  # type: ignore[arg-type,return-value]
        provider_for=lambda s: None,  # type: ignore[arg-type,return-value]
        load_prompt=bundled_prompt,
        cost=lambda s, c: None,
    )
    spec = AssertionSpec(type="similar", value="x")
    _defn, fn = registry.build(spec, BuildContext(root=tmp_path))
    raw = await fn(ScoreContext(output="x", case=Case(id="c")), svc.for_item())
    assert raw.skipped and "embedding model" in raw.reason


def test_promptfoo_provider_spelling_and_bad_values() -> None:
    from llmeval.errors import ConfigError

    spec = AssertionSpec(
        type="similar", value="x", options={"provider": "openai:embedding:text-embedding-3-large"}
    )
    registry.build(spec, BuildContext(root=Path.cwd()))
    for bad in (
        AssertionSpec(type="similar", value=[]),
        AssertionSpec(type="similar", value="x", options={"provder": "e"}),
    ):
        with pytest.raises(ConfigError):
            registry.build(bad, BuildContext(root=Path.cwd()))


async def test_a_python_function_can_embed(tmp_path: Path) -> None:
    (tmp_path / "emb.py").write_text(
        "def embed(texts):\n    return [[float(len(t)), 1.0] for t in texts]\n"
    )
    spec = ModelSpec(alias="pyemb", provider="python", model="emb.py:embed")
    svc = EngineServices(
        default_judge=None,
        resolve=lambda name: spec,
        provider_for=lambda s: None,  # type: ignore[arg-type,return-value]
        load_prompt=bundled_prompt,
        cost=lambda s, c: None,
        embedder_for=lambda s: create(s, tmp_path),
    )
    r = await run(svc, "similar:euclidean", "abc", "abcd", options={"provider": "pyemb"})
    assert r.score == pytest.approx(1 / (1 + 1.0)) and r.passed is False


async def test_a_broken_embedding_function_is_an_error_not_a_pass(tmp_path: Path) -> None:
    # targets are imported once per process by path: a distinct file name
    (tmp_path / "broken_emb.py").write_text("def embed(texts):\n    return [[1.0]]\n")
    spec = ModelSpec(alias="pyemb", provider="python", model="broken_emb.py:embed")
    svc = EngineServices(
        default_judge=None,
        resolve=lambda name: spec,
        provider_for=lambda s: None,  # type: ignore[arg-type,return-value]
        load_prompt=bundled_prompt,
        cost=lambda s, c: None,
        embedder_for=lambda s: create(s, tmp_path),
    )
    r = await run(svc, "similar", "abc", "abcd", options={"provider": "pyemb"})
    assert r.status == "error"


def test_a_chat_only_provider_cannot_embed(tmp_path: Path) -> None:
    from llmeval.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot embed"):
        create(ModelSpec(alias="a", provider="anthropic", model="claude"), tmp_path)
