"""Engine throughput: N cases on the echo provider with 3 assertions each.

Runs the real CLI in a subprocess on a generated project and prints wall time,
cases per second and peak memory (RSS of the child), plus `llmeval --help` time.

    python benchmarks/bench_engine.py [--cases 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def make_project(root: Path, n: int) -> None:
    (root / "llmeval.yaml").write_text("defaults:\n  models: [echo]\n")
    (root / "prompts" / "q").mkdir(parents=True)
    (root / "prompts" / "q" / "v1.yaml").write_text("user: 'Question: {{ question }}'\n")
    (root / "suites" / "data").mkdir(parents=True)
    with open(root / "suites" / "data" / "rows.jsonl", "w") as fh:
        for i in range(n):
            fh.write(
                json.dumps(
                    {
                        "id": f"case-{i}",
                        "question": f"what is {i} plus one?",
                        "expected": f"Question: what is {i} plus one?",
                    }
                )
                + "\n"
            )
    (root / "suites" / "bench.yaml").write_text(
        "name: bench\nprompt: q\ndataset: data/rows.jsonl\n"
        "defaults:\n  assert:\n"
        "    - type: icontains\n      value: question\n"
        "    - type: regex\n      value: '\\d+ plus'\n"
        "    - type: not-contains\n      value: 'as an AI'\n"
    )


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    out = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, "CI": "1"}
    )
    wall = time.perf_counter() - t0
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if out.returncode not in (0, 1):
        sys.exit(f"command failed ({out.returncode}): {out.stderr[-2000:]}")
    return wall, max(peak_kb, before), out.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    args = ap.parse_args()
    exe = [sys.executable, "-m", "llmeval"]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_project(root, args.cases)
        helps = [timed([*exe, "--help"], root)[0] for _ in range(5)]
        wall, peak_kb, _ = timed([*exe, "run", "--no-report", "--json", "-q"], root)
        wall_r, peak_r, _ = timed([*exe, "run", "--json", "-q"], root)
        n = args.cases
        print(f"llmeval --help: best {min(helps) * 1000:.0f} ms of 5 (aim < 300 ms)")
        print(
            f"{n} cases x 3 assertions on echo: {wall:.2f} s wall, {n / wall:,.0f} cases/s,"
            f" peak RSS {peak_kb / 1024:.0f} MB (aim < 5 s, < 300 MB)"
        )
        size = (root / "reports" / "latest.html").stat().st_size / 1e6
        print(
            f"the same with the HTML report written: {wall_r:.2f} s wall,"
            f" peak RSS of any run {peak_r / 1024:.0f} MB, report {size:.1f} MB"
        )
        print(
            f"ratio vs promptfoo's ~7 ms CPU/case ({n * 0.007:.0f} s): {n * 0.007 / wall:.1f}x faster"
        )


if __name__ == "__main__":
    main()
