"""Scoring cost per case: ROUGE + BLEU + 3 deterministic assertions over N cases.

Plans the assertions once (as a run does), then scores N synthetic answer/reference
pairs through the real metric functions, ``apply.finalize`` and ``case_verdict``.
Prints µs per case (CPU time of this process, so a busy machine does not inflate it; wall
time too) for the whole set and per metric. ``--ter`` adds the TER detail to BLEU (off by default).

    python benchmarks/bench_scoring.py [--cases 10000]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from llmeval.domain.suite import AssertionSpec, Case
from llmeval.metrics import registry
from llmeval.metrics.apply import case_verdict, finalize
from llmeval.metrics.base import BuildContext, ScoreContext

_SENTENCE = (
    "you can return items within 30 days of purchase for a full refund refunds are processed "
    "in five to seven business days shipping is free on orders over fifty dollars contact "
    "support by email or chat our team answers within one business day"
)
WORDS = _SENTENCE.split()

SPECS = [
    AssertionSpec(type="rouge-l", threshold=0.4),
    AssertionSpec(type="bleu", threshold=0.2),  # TER detail only with --ter
    AssertionSpec(type="icontains", value="days"),
    AssertionSpec(type="regex", value=r"\b\d+\b|\bfive\b"),
    AssertionSpec(type="word-count", value={"min": 3, "max": 60}),
]


def make_cases(n: int, seed: int = 7) -> list[tuple[str, Case]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        ref = " ".join(rng.choices(WORDS, k=rng.randint(8, 24))) + "."
        words = ref.split()
        # an answer that shares most of the reference, with some edits
        ans = [w if rng.random() > 0.25 else rng.choice(WORDS) for w in words]
        out.append((" ".join(ans).capitalize(), Case(id=f"c{i}", expected=ref)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=10_000)
    ap.add_argument("--ter", action="store_true", help="BLEU with the TER detail")
    args = ap.parse_args()
    if args.ter:
        SPECS[1] = AssertionSpec(type="bleu", threshold=0.2, options={"ter": True})
    plan = [registry.build(s, BuildContext(root=Path.cwd())) for s in SPECS]
    cases = make_cases(args.cases)
    per_metric = [0.0] * len(SPECS)

    # warm up: lazy imports and cached scorer objects are a one-off, not per-case cost
    for (defn, fn), s in zip(plan, SPECS, strict=True):
        finalize(defn, s, fn(ScoreContext(output=cases[0][0], case=cases[0][1])))

    wall, cpu = time.perf_counter(), time.process_time()
    for output, case in cases:
        ctx = ScoreContext(output=output, case=case)
        results = []
        for k, ((defn, fn), s) in enumerate(zip(plan, SPECS, strict=True)):
            t0 = time.process_time()
            results.append(finalize(defn, s, fn(ctx)))
            per_metric[k] += time.process_time() - t0
        case_verdict(case, results)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall

    n = len(cases)
    print(f"cases: {n}  assertions/case: {len(SPECS)}")
    print(f"CPU:  {cpu:.2f} s  ->  {cpu / n * 1e6:.0f} µs/case")
    print(f"wall: {wall:.2f} s  ->  {wall / n * 1e6:.0f} µs/case")
    for s, t in zip(SPECS, per_metric, strict=True):
        print(f"  {s.type:<12} {t / n * 1e6:8.1f} µs/case (CPU)")


if __name__ == "__main__":
    main()
