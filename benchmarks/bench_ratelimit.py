"""Rate limits that adapt instead of stalling: 5% of requests answered 429.

Runs the whole ``llmeval run`` command (real openai SDK) at concurrency 64 against
``tests/fakeserver.py`` in its own process (50 ms latency) twice: with no faults,
and with 5% of completion requests answered 429 with ``Retry-After: 1``. Prints the
wall-time ratio (aim, issue 15: <= 1.6) and checks that every case finished
exactly once: one successful request per case in the server's log and one journal
line per case in ``results.jsonl``. Also prints the limit counters of the run
(``run.json``: effective concurrency, cuts, time waited on limits).

    python benchmarks/bench_ratelimit.py [--cases 20000] [--concurrency 64]

Before issue 15 a 429 paused the whole lane: 20,000 cases took 5 min 38 s against
62 s with the same rate of 500s.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_providers import Server, make_project, run_cli


def configure(project: Path, n: int, base_url: str, retries: int) -> None:
    make_project(project, n, base_url)
    # enough retries that a case 429'd several times in a row still finishes
    cfg = project / "llmeval.yaml"
    cfg.write_text(cfg.read_text().replace("retries: 2", f"retries: {retries}"))


def journal(project: Path, run_id: str) -> collections.Counter[str]:
    """Journal lines per case id (status must be pass: the assertion is 'plus one')."""
    lines: collections.Counter[str] = collections.Counter()
    path = project / ".llmeval" / "runs" / run_id / "results.jsonl"
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        if rec.get("status") != "pass":
            sys.exit(f"case {rec.get('case_id')} ended {rec.get('status')}: {rec.get('error')}")
        lines[str(rec["case_id"])] += 1
    return lines


def limit_counters(project: Path, run_id: str) -> dict[str, Any]:
    manifest = json.loads((project / ".llmeval" / "runs" / run_id / "run.json").read_text())
    return dict(manifest.get("cache", {}).get("fake", {}))


def one_run(server: Server, project: Path, n: int, c: int, run_id: str) -> tuple[float, float]:
    # one server per run: its log is the run's (a reset would also drop the faults)
    wall, cpu = run_cli(project, "--cache-mode", "off", "-j", str(c), "--run-id", run_id)
    stats = server.stats()
    ok = collections.Counter(stats["ok_by_prompt"])
    if len(ok) != n or set(ok.values()) != {1}:
        twice = sum(1 for v in ok.values() if v > 1)
        sys.exit(f"{run_id}: {len(ok)} cases answered, {twice} more than once (want {n}, once)")
    lines = journal(project, run_id)
    if len(lines) != n or set(lines.values()) != {1}:
        sys.exit(f"{run_id}: journal has {len(lines)} cases, some twice (want {n}, once)")
    faults = stats.get("faults", {})
    print(
        f"{run_id:>8}: {wall:7.2f} s wall, {cpu:6.2f} s cpu, {stats['requests']} requests"
        f" ({faults.get('rate_limit', 0)} answered 429), every case once"
    )
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--latency-ms", type=float, default=50.0)
    ap.add_argument("--rate", type=float, default=0.05, help="share of requests answered 429")
    ap.add_argument("--retry-after", type=float, default=1.0)
    ap.add_argument("--retries", type=int, default=10)
    ap.add_argument(
        "--repeat", type=int, default=1, help="interleaved pairs of runs; the best of each is kept"
    )
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="llmeval-bench-rl-"))
    faults = ("--fault-rate", str(args.rate), "--fault-kinds", "rate_limit",
              "--retry-after", f"{args.retry_after:g}")  # fmt: skip
    servers: list[Server] = []
    try:
        n, c = args.cases, args.concurrency
        print(
            f"{n} cases, concurrency {c}, {args.latency_ms:g} ms latency,"
            f" {100 * args.rate:g}% answered 429 (Retry-After {args.retry_after:g} s)"
        )
        print(f"ideal (cases x latency / concurrency): {n * args.latency_ms / 1000 / c:.2f} s")
        base_wall = lim_wall = float("inf")
        counters: dict[str, Any] = {}
        for i in range(args.repeat):  # interleaved: a busy machine slows both alike
            for name, extra in (("clean", ()), ("limited", faults)):
                server = Server(args.latency_ms, extra)  # a fresh log (and faults) per run
                servers.append(server)
                project = tmp / f"{name}{i}"
                configure(project, n, server.url, args.retries)
                wall, _ = one_run(server, project, n, c, name)
                server.stop()
                if name == "clean":
                    base_wall = min(base_wall, wall)
                else:
                    lim_wall = min(lim_wall, wall)
                    counters = limit_counters(project, name)
        keys = (
            "rate_limited",
            "lane_pauses",
            "concurrency_decreases",
            "lowest_concurrency",
            "limit_wait_s",
        )
        print("limits: " + ", ".join(f"{k}={counters.get(k)}" for k in keys))
        ratio = lim_wall / base_wall
        verdict = "ok" if ratio <= 1.6 else "MISSES AIM"
        print(f"ratio 429 run / clean run: {ratio:.2f} (aim <= 1.6: {verdict})")
    finally:
        for server in servers:
            if server.proc.poll() is None:
                server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
