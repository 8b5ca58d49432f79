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
import json
import os
import shutil
import socket
import statistics
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

    def __init__(self, latency_ms: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(FAKESERVER), "--port", str(self.port), "--latency-ms",
             str(latency_ms)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.proc.stdout.readline()  # "fake LLM server on ..." once it listens

    def _call(self, path: str, method: str = "GET") -> dict[str, Any]:
        req = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def requests(self) -> int:
        return int(self._call("/_fake/stats")["requests"])

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
    (root / "prompts" / "q" / "v1.yaml").write_text("user: 'Question {{ n }}: what is {{ n }} plus one?'\n")
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


def run_cli(project: Path, *args: str) -> float:
    env = {**os.environ, "CI": "1", "OPENAI_API_KEY": "sk-bench-not-a-real-key"}
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "--no-report", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"llmeval run failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=2000)
    ap.add_argument("--cached", type=int, default=1000)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--concurrency", default="8,32,64")
    ap.add_argument("--repeat", type=int, default=1, help="runs per setting; the best is kept")
    args = ap.parse_args()
    latency = args.latency_ms / 1000.0
    server = Server(args.latency_ms)
    tmp = Path(tempfile.mkdtemp(prefix="llmeval-bench-"))
    rows: list[tuple[str, float, float, int]] = []
    try:
        project = tmp / "live"
        make_project(project, args.cases, server.url)
        print(f"{args.cases} cases, {args.latency_ms:g} ms latency, openai SDK -> {server.url}")
        print(f"{'concurrency':>11} {'wall s':>8} {'ideal s':>8} {'ratio':>6} {'requests':>9}")
        for c in (int(x) for x in args.concurrency.split(",")):
            walls = []
            for _ in range(args.repeat):
                server.reset()
                walls.append(run_cli(project, "--cache-mode", "off", "-j", str(c)))
                sent = server.requests()
            wall = min(walls)
            ideal = args.cases * latency / c
            rows.append((f"c={c}", wall, ideal, sent))
            print(f"{c:>11} {wall:>8.2f} {ideal:>8.2f} {wall / ideal:>6.2f} {sent:>9}")

        cached = tmp / "cached"
        make_project(cached, args.cached, server.url)
        run_cli(cached, "-j", "64")  # fill the cache
        walls = []
        for _ in range(max(1, args.repeat)):
            server.reset()
            walls.append(run_cli(cached))
            sent = server.requests()
        wall = min(walls)
        print(f"cached run: {args.cached} cases, {sent} requests, {wall:.2f} s wall"
              f" ({'ok' if sent == 0 and wall < 1.0 else 'MISSES AIM'})")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "llmeval", "--help"], capture_output=True, check=True)
        print(f"start-up floor (llmeval --help): {time.perf_counter() - t0:.2f} s")
        ratio32 = next((w / i for name, w, i, _ in rows if name == "c=32"), None)
        if ratio32 is not None:
            print(f"aim at c=32: ratio {ratio32:.2f} <= 1.2: {'ok' if ratio32 <= 1.2 else 'MISSES AIM'}")
        print(f"median ratio: {statistics.median(w / i for _, w, i, _ in rows):.2f}")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
