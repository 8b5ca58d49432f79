"""Python scorers: one worker (how they ran before) against the pool (one per core).

Scores N outputs with a slow ``python`` scorer -- CPU-bound (a busy loop) and
waiting (a sleep, like a scorer that calls a service) -- through the real metric
(``registry.build`` -> worker processes), 8 scorings in flight as at ``-j 8``, and
prints wall times and the speed-up. Workers are started before timing.

    python benchmarks/bench_python_scorers.py [--n 40] [--ms 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmeval.domain.suite import AssertionSpec, Case
from llmeval.metrics import registry
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.pool import pool_for, set_pool_size

SCORERS = """
import time

def busy(output, context):
    end = time.process_time() + context["config"]["s"]
    while time.process_time() < end:
        pass
    return True

def wait(output, context):
    time.sleep(context["config"]["s"])
    return True
"""


async def score_all(root: Path, function: str, n: int, seconds: float, jobs: int) -> float:
    spec = AssertionSpec(
        type="python", value=f"scorers.py:{function}", options={"config": {"s": seconds}}
    )
    _, fn = registry.build(spec, BuildContext(root=root))
    case = Case(id="c", vars={})
    gate = asyncio.Semaphore(jobs)

    async def one() -> None:
        async with gate:
            score = await fn(ScoreContext(output="x", case=case), None)
            assert score.passed, score

    await asyncio.gather(*(one() for _ in range(jobs)))  # warm: start the workers
    start = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(n)))
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--ms", type=float, default=100.0)
    ap.add_argument("-j", "--jobs", type=int, default=8)
    args = ap.parse_args()
    seconds = args.ms / 1000.0
    print(f"{args.n} scorings of {args.ms:g} ms, -j {args.jobs}, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        (root / "scorers.py").write_text(SCORERS)
        for function in ("busy", "wait"):
            times = {}
            for label, size in (("one worker", 1), ("pool", None)):
                set_pool_size(size)
                times[label] = asyncio.run(score_all(root, function, args.n, seconds, args.jobs))
                workers = len(pool_for(root).workers)
                pool_for(root).close()
                print(f"  {function:4}  {label:10}  {times[label]:6.2f} s  ({workers} workers)")
            print(f"  {function:4}  speed-up    x{times['one worker'] / times['pool']:.2f}")


if __name__ == "__main__":
    main()
