"""Issue 15's figures in one run: the whole ``llmeval run`` command, the real openai
SDK, ``tests/fakeserver.py`` in its own process.

- 1,000 cases at concurrency 32, 50 ms latency, cold: wall / ideal (aim <= 1.3),
  where ideal = cases x latency / concurrency; then the fully cached rerun (<= 0.5 s);
- 4,000 cases at concurrency 64 and 128, 50 ms: wall / ideal (aim <= 1.4);
- 0 ms latency: llmeval's CPU per case (aim <= 1.2 ms), from the child's rusage
  (user + system). ``marginal`` subtracts a 1-case run (start-up, imports, exit), so it
  is the cost of one more case; ``total`` is the whole command divided by the cases.

CPU time is far less sensitive than wall time to other processes on the machine, but
not immune (shared caches, SMT siblings): ``--repeat`` keeps the best of each, and
the load average is printed with every figure. The 20,000-case 429 run is
``bench_ratelimit.py`` (``--ratelimit`` runs it here too, after the rest).

    python benchmarks/bench_scale.py [--repeat 2] [--cpu-cases 2000] [--ratelimit]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_providers import Server, make_project, run_cli


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def best(runs: int, once: Callable[[], tuple[float, float]]) -> tuple[float, float]:
    """The run with the least wall time of ``runs`` (its CPU with it)."""
    got = [once() for _ in range(max(1, runs))]
    return min(got)


def imports_wall(tries: int = 3) -> float:
    """Wall time of a fresh interpreter importing what every ``llmeval run`` imports
    from other packages (``bench_sdk_floor.RUN_IMPORTS``): the floor under a cached rerun."""
    from bench_sdk_floor import RUN_IMPORTS

    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    walls = []
    for _ in range(tries):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import {RUN_IMPORTS}"], check=True, env=env)
        walls.append(time.perf_counter() - t0)
    return min(walls)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSES AIM"


def latency_figures(tmp: Path, repeat: int) -> None:
    latency_ms = 50.0
    server = Server(latency_ms)
    try:
        cold = tmp / "cold"
        make_project(cold, 1000, server.url)

        def cold_run() -> tuple[float, float]:
            shutil.rmtree(cold / ".llmeval", ignore_errors=True)  # cache and runs: cold
            return run_cli(cold, "-j", "32")

        wall, cpu = best(repeat, cold_run)
        ideal = 1000 * latency_ms / 1000 / 32
        print(
            f"1,000 cases, c=32, 50 ms, cold: {wall:.2f} s wall ({cpu:.2f} s cpu), ideal"
            f" {ideal:.2f} s, ratio {wall / ideal:.2f} (aim <= 1.3: {verdict(wall / ideal <= 1.3)})"
            f" [{load()}]"
        )
        server.reset()
        cached_wall, _ = best(repeat, lambda: run_cli(cold, "-j", "32"))
        sent = server.requests()
        floor = imports_wall()
        print(
            f"fully cached rerun: {cached_wall:.2f} s wall, {sent} requests"
            f" (aim <= 0.5 s, 0 requests: {verdict(cached_wall <= 0.5 and sent == 0)});"
            f" of which the third-party imports alone {floor:.2f} s, llmeval's own"
            f" {cached_wall - floor:.2f} s [{load()}]"
        )
        big = tmp / "big"
        make_project(big, 4000, server.url)
        for c in (64, 128):
            wall, cpu = best(repeat, lambda c=c: run_cli(big, "--cache-mode", "off", "-j", str(c)))
            ideal = 4000 * latency_ms / 1000 / c
            print(
                f"4,000 cases, c={c}, 50 ms: {wall:.2f} s wall ({cpu:.2f} s cpu), ideal"
                f" {ideal:.2f} s, ratio {wall / ideal:.2f}"
                f" (aim <= 1.4: {verdict(wall / ideal <= 1.4)}) [{load()}]"
            )
    finally:
        server.stop()


def cpu_figures(tmp: Path, repeat: int, n: int) -> None:
    server = Server(0.0)
    try:
        one = tmp / "one0"
        many = tmp / "many0"
        make_project(one, 1, server.url)
        make_project(many, n, server.url)
        # least CPU of each (CPU, not wall, is the figure here)
        fixed = min(run_cli(one, "--cache-mode", "off")[1] for _ in range(max(2, repeat)))
        runs = [run_cli(many, "--cache-mode", "off", "-j", "32") for _ in range(max(1, repeat))]
        wall, cpu = min(runs, key=lambda r: r[1])
        marginal = (cpu - fixed) / (n - 1) * 1000
        print(
            f"0 ms latency, {n:,} cases, c=32: {cpu:.2f} s cpu ({wall:.2f} s wall),"
            f" 1-case run {fixed:.2f} s cpu; per case: marginal {marginal:.2f} ms,"
            f" total {cpu / n * 1000:.2f} ms (aim <= 1.2 ms: {verdict(marginal <= 1.2)})"
            f" [{load()}]"
        )

        # the same with the response cache on (the default), cold: every case a miss,
        # so each pays its lookup, the cross-process claim and the write
        def cold(project: Path, *args: str) -> tuple[float, float]:
            shutil.rmtree(project / ".llmeval", ignore_errors=True)
            return run_cli(project, *args)

        fixed_c = min(cold(one)[1] for _ in range(max(2, repeat)))
        wall, cpu = min((cold(many, "-j", "32") for _ in range(max(1, repeat))), key=lambda r: r[1])
        marginal = (cpu - fixed_c) / (n - 1) * 1000
        print(
            f"0 ms latency, {n:,} cases, c=32, cache on, cold: {cpu:.2f} s cpu"
            f" ({wall:.2f} s wall), 1-case run {fixed_c:.2f} s cpu; per case: marginal"
            f" {marginal:.2f} ms, total {cpu / n * 1000:.2f} ms [{load()}]"
        )
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=2, help="runs per figure; the best is kept")
    ap.add_argument("--cpu-cases", type=int, default=2000)
    ap.add_argument("--ratelimit", action="store_true", help="also run bench_ratelimit.py")
    ap.add_argument("--cpu-only", action="store_true", help="only the 0 ms CPU figures")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="llmeval-bench-scale-"))
    try:
        cpu_figures(tmp, args.repeat, args.cpu_cases)
        if not args.cpu_only:
            latency_figures(tmp, args.repeat)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.ratelimit:
        here = Path(__file__).resolve().parent
        subprocess.run([sys.executable, str(here / "bench_ratelimit.py")], check=False)


if __name__ == "__main__":
    main()
