"""``--workers``: a CPU-bound run (python target, 0 ms) in 1 process against N processes.

Runs the real CLI in a subprocess on a generated project of ``--cases`` cases (a python
target that does a little work per case, three assertions) with ``--workers 1`` and
``--workers N``, interleaved, and prints the wall times and their ratio.

    python benchmarks/bench_workers.py [--cases 4000] [--workers 2] [--rounds 2]
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


def timed(root: Path, run_id: str, workers: int) -> float:
    cmd = [sys.executable, "-m", "llmeval", "run", "--run-id", run_id, "--no-report", "-q"]
    cmd += ["--workers", str(workers), "--cache-mode", "off"]
    t0 = time.perf_counter()
    out = subprocess.run(
        cmd, cwd=root, capture_output=True, text=True, env={**os.environ, "CI": "1"}
    )
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"--workers {workers} failed ({out.returncode}): {out.stderr[-2000:]}")
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=4000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
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
