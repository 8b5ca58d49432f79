"""Provider path throughput: the real CLI, the real openai SDK, a local fake server.

Starts ``tests/fakeserver.py`` in its own process (50 ms latency), generates a
project with N cases on an ``openai`` model at that server, and times the whole
``llmeval run`` command (process start-up included) at several concurrencies
against the ideal ``cases x latency / concurrency``. Then a fully cached run of
``--cached`` cases: requests the server received (must be 0) and wall time.

    python benchmarks/bench_providers.py [--cases 2000] [--cached 1000] [--repeat 1]

Aims (issue 3): ratio <= 1.2 at concurrency 32; cached run 0 requests, < 1 s.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pstats
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FAKESERVER = ROOT / "tests" / "fakeserver.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The fake server in a child process, with its control endpoints."""

    def __init__(self, latency_ms: float, extra: tuple[str, ...] = ()) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(FAKESERVER),
                "--port",
                str(self.port),
                "--latency-ms",
                str(latency_ms),
                *extra,
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # "fake LLM server on ..." once it listens

    def _call(self, path: str, method: str = "GET") -> dict[str, Any]:
        req = urllib.request.Request(
            self.url + path, method=method, data=b"" if method == "POST" else None
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict[str, Any]:
        return self._call("/_fake/stats")

    def requests(self) -> int:
        return int(self.stats()["requests"])

    def reset(self) -> None:
        self._call("/_fake/reset", "POST")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def make_project(root: Path, n: int, base_url: str) -> None:
    if root.exists():
        shutil.rmtree(root)
    (root / "prompts" / "q").mkdir(parents=True)
    (root / "suites" / "data").mkdir(parents=True)
    (root / "prompts" / "q" / "v1.yaml").write_text(
        "user: 'Question {{ n }}: what is {{ n }} plus one?'\n"
    )
    with open(root / "suites" / "data" / "rows.jsonl", "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"case-{i}", "n": i}) + "\n")
    (root / "suites" / "bench.yaml").write_text(
        "name: bench\nprompt: q\ndataset: data/rows.jsonl\nmodels: [fake]\n"
        "defaults:\n  assert:\n    - type: icontains\n      value: plus one\n"
    )
    (root / "llmeval.yaml").write_text(
        "models:\n  fake:\n    provider: openai\n    model: gpt-4o-mini\n"
        f"    base_url: {base_url}/v1\n"
        "    params: {temperature: 0, max_tokens: 64}\n"
        "run: {concurrency: 8, retries: 2}\n"
    )


def run_cli(project: Path, *args: str, python: tuple[str, ...] = ()) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child) of one whole ``llmeval run``."""
    env = {**os.environ, "CI": "1", "OPENAI_API_KEY": "sk-bench-not-a-real-key"}
    # as installed: modules load from bytecode (a shell with PYTHONDONTWRITEBYTECODE
    # would recompile every llmeval module on each start, ~0.3 s of each command)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, *python, "-m", "llmeval", "run", "--no-report", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        sys.exit(
            f"llmeval run failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def profile(project: Path, concurrency: int, top: int = 12) -> None:
    """cProfile one run and print self time per package (where the CPU goes)."""
    out = project / "prof.out"
    run_cli(
        project,
        "--cache-mode",
        "off",
        "-j",
        str(concurrency),
        python=("-m", "cProfile", "-o", str(out)),
    )
    agg: collections.Counter[str] = collections.Counter()
    for (path, _, _), (_, _, self_s, _, _) in pstats.Stats(str(out)).stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in path:
            key = path.split("site-packages/")[1].split("/")[0]
        elif "/llmeval/" in path:
            key = "llmeval/" + path.split("/llmeval/")[1].split("/")[0]
        elif "python3" in path and "/lib/" in path:
            key = "stdlib " + path.split("/lib/")[1].split("/")[1].removesuffix(".py")
        else:
            key = "builtins (socket, isinstance, ...)" if path == "~" else path[:30]
        agg[key] += self_s
    total = sum(agg.values())
    print(f"profile at c={concurrency} (self time, cProfile-inflated total {total:.1f} s):")
    for key, self_s in agg.most_common(top):
        print(f"  {100 * self_s / total:5.1f}%  {key}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--cached", type=int, default=1000)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--concurrency", default="8,32,64")
    ap.add_argument("--repeat", type=int, default=1, help="runs per setting; the best is kept")
    ap.add_argument("--profile", action="store_true", help="also cProfile a run at c=32")
    args = ap.parse_args()
    latency = args.latency_ms / 1000.0
    server = Server(args.latency_ms)
    tmp = Path(tempfile.mkdtemp(prefix="llmeval-bench-"))
    ratios: dict[int, float] = {}
    try:
        # fixed cost of the command: start-up (imports incl. the openai SDK, config,
        # plan), one request, summary and exit
        one = tmp / "one"
        make_project(one, 1, server.url)
        fixed = min(run_cli(one, "--cache-mode", "off")[0] for _ in range(max(2, args.repeat)))
        project = tmp / "live"
        make_project(project, args.cases, server.url)
        print(f"{args.cases} cases, {args.latency_ms:g} ms latency, openai SDK -> {server.url}")
        print(f"fixed cost (1-case run, whole command): {fixed:.2f} s")
        print(
            f"{'concurrency':>11} {'wall s':>7} {'ideal s':>7} {'ratio':>6}"
            f" {'floor':>6} {'cpu s':>6} {'requests':>8}"
        )
        for c in (int(x) for x in args.concurrency.split(",")):
            best: tuple[float, float] | None = None
            for _ in range(args.repeat):
                server.reset()
                got = run_cli(project, "--cache-mode", "off", "-j", str(c))
                best = got if best is None or got[0] < best[0] else best
                sent = server.requests()
            assert best is not None
            wall, cpu = best
            ideal = args.cases * latency / c
            ratios[c] = wall / ideal
            floor = (fixed - latency + ideal) / ideal  # even with free requests
            print(
                f"{c:>11} {wall:>7.2f} {ideal:>7.2f} {wall / ideal:>6.2f}"
                f" {floor:>6.2f} {cpu:>6.2f} {sent:>8}"
            )

        cached = tmp / "cached"
        make_project(cached, args.cached, server.url)
        run_cli(cached, "-j", "64")  # fill the cache
        walls = []
        for _ in range(max(1, args.repeat)):
            server.reset()
            walls.append(run_cli(cached)[0])
            sent = server.requests()
        wall = min(walls)
        verdict = "ok" if sent == 0 and wall < 1.0 else "MISSES AIM"
        print(f"cached run: {args.cached} cases, {sent} requests, {wall:.2f} s wall ({verdict})")
        if 32 in ratios:
            verdict = "ok" if ratios[32] <= 1.2 else "MISSES AIM"
            print(f"aim at c=32: ratio {ratios[32]:.2f} <= 1.2 ({verdict})")
        if args.profile:
            profile(project, 32)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
