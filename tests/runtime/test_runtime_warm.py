"""A fully cached run never readies (imports, builds the client of) its SDK; the first
request really sent readies every deferred provider at once, before any clock starts."""

from __future__ import annotations

from pathlib import Path

from runtime_fakes import FakeProvider, request, spec

from llmeval.providers.cache import ResponseCache
from llmeval.providers.stack import build_stack, warm_together


class Warmable(FakeProvider):
    def __init__(self, log: list[str], name: str) -> None:
        super().__init__()
        self.log, self.name = log, name

    def warm(self) -> None:
        self.log.append(f"warm {self.name}")

    async def complete(self, req):  # type: ignore[no-untyped-def]
        self.log.append(f"send {self.name}")
        return await super().complete(req)


async def test_hits_never_warm_and_the_first_send_warms_every_deferred_stack(
    tmp_path: Path,
) -> None:
    log: list[str] = []
    cache = ResponseCache(tmp_path)
    a_spec, b_spec = spec("a"), spec("b", model="gpt-y")
    a, b = Warmable(log, "a"), Warmable(log, "b")
    stack_a = build_stack(a, a_spec, cache=cache, retries=0)
    stack_b = build_stack(b, b_spec, cache=cache, retries=0)
    assert stack_a.defers_warm and stack_b.defers_warm
    await build_stack(Warmable([], "x"), a_spec, cache=cache).complete(request(model=a_spec))
    await build_stack(Warmable([], "x"), b_spec, cache=cache).complete(request(model=b_spec))

    warm_together([stack_a, stack_b])
    await stack_a.complete(request(model=a_spec))  # both cached: nothing readied
    await stack_b.complete(request(model=b_spec))
    assert log == []
    await stack_b.complete(request("new", model=b_spec))
    assert log == ["warm a", "warm b", "send b"]  # all readied before the first send
    await stack_a.complete(request("new", model=a_spec))
    assert log == ["warm a", "warm b", "send b", "send a"]  # once only
    assert not stack_a.defers_warm and not stack_b.defers_warm


async def test_without_a_cache_layer_nothing_is_deferred(tmp_path: Path) -> None:
    stack = build_stack(Warmable([], "a"), spec(), cache=ResponseCache(tmp_path), cache_mode="off")
    assert not stack.defers_warm
