"""``--workers``: a CPU-bound run (python target, 0 ms) in 1 process against N processes.

Runs the real CLI in a subprocess on a generated project of ``--cases`` cases (a python
target that does a little work per case, three assertions) with ``--workers 1`` and
``--workers N``, interleaved, and prints the wall times and their ratio.

With ``--http MS`` the model is the real openai SDK against ``tests/fakeserver.py`` (in
its own process, answering after MS ms) at each ``--concurrency`` (a total: the workers
share it), the question behind the ``--workers`` default for API and server models.

    python benchmarks/bench_workers.py [--cases 4000] [--workers 2] [--rounds 2]
    python benchmarks/bench_workers.py --http 50 --concurrency 64,128 [--cases 4000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APP = """
import hashlib
def answer(vars):
    # a little real CPU per case, as an application's own pre/post-processing has
    h = vars["q"].encode()
    for _ in range(200):
        h = hashlib.sha256(h).digest()
    return f"answer {vars['q']} {h.hex()[:8]}"
"""


def make_project(root: Path, n: int) -> None:
    (root / "llmeval.yaml").write_text(
        "models:\n  app:\n    provider: python\n    target: app.py:answer\n"
        "defaults:\n  models: [app]\nrun: {concurrency: 32}\n"
    )
    (root / "app.py").write_text(APP)
    (root / "suites" / "data").mkdir(parents=True)
    with open(root / "suites" / "data" / "rows.jsonl", "w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"case-{i}", "input": "q", "q": f"q{i}"}) + "\n")
    (root / "suites" / "bench.yaml").write_text(
        "name: bench\ndataset: data/rows.jsonl\nmin_pass_rate: 0\n"
        "defaults:\n  assert:\n"
        "    - type: icontains\n      value: answer\n"
        "    - type: regex\n      value: 'q\\d+'\n"
        "    - type: not-contains\n      value: 'as an AI'\n"
    )


def timed(root: Path, run_id: str, workers: int, *extra: str) -> float:
    cmd = [sys.executable, "-m", "llmeval", "run", "--run-id", run_id, "--no-report", "-q"]
    cmd += ["--workers", str(workers), "--cache-mode", "off", *extra]
    env = {**os.environ, "CI": "1", "OPENAI_API_KEY": "sk-bench-not-a-real-key"}
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"--workers {workers} failed ({out.returncode}): {out.stderr[-2000:]}")
    return wall


def http(args: argparse.Namespace) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_providers import Server
    from bench_providers import make_project as http_project

    server = Server(args.http)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            http_project(root / "p", args.cases, server.url)
            print(f"cases: {args.cases}, {args.http:g} ms, openai SDK, cores: {os.cpu_count()}")
            for c in (int(x) for x in args.concurrency.split(",")):
                ideal = args.cases * args.http / 1000 / c
                one, many = [], []
                for r in range(args.rounds):  # interleaved: both see the same machine load
                    one.append(timed(root / "p", f"one-{c}-{r}", 1, "-j", str(c)))
                    many.append(timed(root / "p", f"many-{c}-{r}", args.workers, "-j", str(c)))
                best1, bestn = min(one), min(many)
                print(
                    f"c={c}: --workers 1 {best1:.2f} s ({best1 / ideal:.2f}x ideal),"
                    f" --workers {args.workers} {bestn:.2f} s ({bestn / ideal:.2f}x ideal),"
                    f" ratio {bestn / best1:.2f} [load {os.getloadavg()[0]:.1f}]"
                )
    finally:
        server.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=4000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--http", type=float, default=None, metavar="MS")
    ap.add_argument("--concurrency", default="64,128")
    args = ap.parse_args()
    if args.http is not None:
        http(args)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, args.cases)
        one, many = [], []
        for r in range(args.rounds):  # interleaved: both see the same machine load
            one.append(timed(root, f"one-{r}", 1))
            many.append(timed(root, f"many-{r}", args.workers))
        best1, bestn = min(one), min(many)
        print(f"cases: {args.cases}, cores: {os.cpu_count()}")
        print(f"--workers 1: {best1:.2f} s  ({args.cases / best1:.0f} cases/s)")
        print(f"--workers {args.workers}: {bestn:.2f} s  ({args.cases / bestn:.0f} cases/s)")
        print(f"ratio workers {args.workers} / workers 1: {bestn / best1:.2f}")


if __name__ == "__main__":
    main()
