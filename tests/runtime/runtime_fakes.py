"""In-process fakes for the runtime wrappers: a virtual clock and a scripted provider."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import Completion, CompletionRequest


class FakeTime:
    """Virtual time: ``sleep`` parks the task until a ticker advances the clock.

    The ticker lets every ready task run (a few loop turns) before jumping to the
    earliest wake-up, so concurrent sleepers share one timeline and tests run instantly.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._ticker: asyncio.Task[None] | None = None
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._heap, (self.now + max(0.0, seconds), next(self._seq), fut))
        if self._ticker is None or self._ticker.done():
            self._ticker = loop.create_task(self._tick())
        await fut

    async def _tick(self) -> None:
        while self._heap:
            for _ in range(30):  # let everything runnable settle first
                await asyncio.sleep(0)
            if not self._heap:
                return
            when, _, fut = heapq.heappop(self._heap)
            self.now = max(self.now, when)
            if not fut.done():
                fut.set_result(None)

    def advance(self, seconds: float) -> None:
        self.now += seconds


def spec(alias: str = "m", provider: str = "openai", model: str = "gpt-x", **kw: Any) -> ModelSpec:
    return ModelSpec(alias=alias, provider=provider, model=model, **kw)


def request(text: str = "hi", *, model: ModelSpec | None = None, **kw: Any) -> CompletionRequest:
    return CompletionRequest(
        model=model or spec(), messages=(Message("user", text),), params=kw.pop("params", {}), **kw
    )


Script = Callable[[CompletionRequest, int], Any]


class FakeProvider:
    """Counts calls; ``script(request, n)`` may return a Completion/str, raise, or be None.

    ``latency`` seconds are slept with the given ``sleep`` (virtual by default in tests).
    """

    def __init__(
        self,
        script: Script | None = None,
        *,
        latency: float = 0.0,
        sleep: Callable[[float], Any] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.script = script
        self.latency = latency
        self.sleep = sleep or asyncio.sleep
        self.clock = clock
        self.calls = 0
        self.successes: Counter[str] = Counter()
        self.call_times: list[float] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def complete(self, req: CompletionRequest) -> Completion:
        self.calls += 1
        n = self.calls
        if self.clock is not None:
            self.call_times.append(self.clock())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                await self.sleep(self.latency)
            result = self.script(req, n) if self.script else None
        finally:
            self.in_flight -= 1
        if result is None:
            result = "answer: " + req.messages[-1].content
        if isinstance(result, str):
            result = Completion(text=result, model_id="gpt-x-2024", input_tokens=7, output_tokens=3)
        self.successes[req.messages[-1].content] += 1
        return result


def cache_worker(cache_dir: str, n: int, start: Any, out: Any) -> None:
    """Child process: answer ``n`` requests through a Cached layer on ``cache_dir``."""
    from llmeval.providers.cache import Cached, ResponseCache

    async def main() -> tuple[int, list[str]]:
        base = FakeProvider(lambda r, _n: "answer " + r.messages[-1].content)
        cached = Cached(base, ResponseCache(Path(cache_dir)), "use", "api.openai.com")
        texts = []
        for i in range(n):
            texts.append((await cached.complete(request(f"q{i}"))).text)
        return base.calls, texts

    start.wait(30)
    out.put(asyncio.run(main()))
