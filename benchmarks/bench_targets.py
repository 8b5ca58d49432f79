"""Per-call overhead of a python target: in llmeval's process (the old way) vs the
key-less worker process (``providers.target_pool``).

A trivial target (``return prompt``) is called N times, one at a time and then 20 in
flight, through

- *in-process*: ``load_callable`` here, ``_arguments`` + ``_in_daemon_thread`` +
  ``_completion`` (what ``PythonProvider`` did before targets moved to a worker);
- *worker*: ``PythonProvider.complete`` (JSON over a pipe to the worker and back).

Prints µs per call for each (best of 3 rounds), and the worker's extra cost per call.

    python benchmarks/bench_targets.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.providers.python import (
    PythonProvider,
    _arguments,
    _completion,
    _in_daemon_thread,
    call_payload,
    load_callable,
)

APP = "def answer(prompt):\n    return prompt\n"


class InProcess:
    def __init__(self, spec: ModelSpec, root: Path) -> None:
        self.spec = spec
        self.fn = load_callable(spec.model, root)

    async def complete(self, request: CompletionRequest) -> Any:
        args, kwargs = _arguments(self.fn, call_payload(request))
        value, ms = await _in_daemon_thread(self.fn, *args, **kwargs)
        return _completion(value, ms, self.spec.model)


async def _time(provider: Any, spec: ModelSpec, n: int, in_flight: int) -> float:
    requests = [CompletionRequest(spec, (Message("user", f"q{i}"),)) for i in range(n)]
    await provider.complete(requests[0])  # warm
    sem = asyncio.Semaphore(in_flight)

    async def one(r: CompletionRequest) -> None:
        async with sem:
            await provider.complete(r)

    start = time.perf_counter()
    await asyncio.gather(*(one(r) for r in requests))
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    n = ap.parse_args().calls
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "app.py").write_text(APP)
        spec = ModelSpec(alias="t", provider="python", model="app.py:answer")
        old, new = InProcess(spec, root), PythonProvider(spec, root)
        for in_flight in (1, 20):
            # best of 3: the machine is shared, the minimum is the cost itself
            a = min(asyncio.run(_time(old, spec, n, in_flight)) for _ in range(3))
            b = min(asyncio.run(_time(new, spec, n, in_flight)) for _ in range(3))
            print(
                f"{n} calls, {in_flight:>2} in flight: in-process {a:7.1f} µs/call, "
                f"worker {b:7.1f} µs/call (+{b - a:.1f} µs, {b / a:.2f}x)"
            )


if __name__ == "__main__":
    main()
