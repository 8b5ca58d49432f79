"""Calibration of the CI gate by simulation: false alarms under noise, power on a real drop.

The target: n cases, each with its own pass probability p_i ~ Beta(mu*k, (1-mu)*k)
(mean pass rate mu = 0.85, concentration k = 0.5). A small k gives a U-shaped Beta: most
cases almost always pass or almost always fail, some sit in between and flip from run
to run, as with an LLM sampled at temperature > 0. A run draws each case once:
pass with probability p_i. With k = 0.5, 8.5% of cases flip between two runs of the
same target (E[2p(1-p)]); --sweep shows how power falls as that noise grows and rises
as it shrinks. Every result carries a score (1/0) and one assertion, so each
comparison has three metric rows (pass_rate, score, the assertion); here they hold the
same paired values and p-value, so Holm counts them as one test.

- Null: both runs sample the same p_i. Every flip is noise; the gate must stay quiet
  (target: trips in <= 5% of trials).
- Planted drop ("break"): the candidate breaks a random set of cases (p_i -> 0) chosen
  so the expected pass rate falls by exactly 5 points. This is what a bad prompt or
  model change does: specific cases stop working. It produces discordant pairs mostly
  in one direction, which McNemar's paired test detects (target: caught in >= 80%).
- Planted drop ("diffuse"), reported for honesty, not as a target: every p_i is scaled
  down so the mean falls by 5 points. The change is spread thinly over all cases;
  near-certain passes now fail now and then, so the flips still lean one way.

The gate is run end to end: CaseResults -> analysis.diff.compare -> analysis.gate.verdict
with the default policy (alpha 0.05, min_effect 0.02).

    python benchmarks/gate_calibration.py [--trials 200] [--n 500] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from llmeval.analysis.diff import compare
from llmeval.analysis.gate import Policies, verdict
from llmeval.analysis.summarize import RunSummary
from llmeval.domain.project import GatePolicy
from llmeval.domain.record import AssertionResult, CaseResult

MEAN, CONCENTRATION, DROP = 0.85, 0.5, 0.05


def target(n: int, rng, mean: float = MEAN, concentration: float = CONCENTRATION):
    return rng.beta(mean * concentration, (1 - mean) * concentration, size=n)


def break_cases(p, drop: float, rng):
    """Break random cases (p -> 0) until the expected pass rate falls by ``drop``."""
    q = p.copy()
    need = drop * len(p)
    for i in rng.permutation(len(p)):
        if need <= 0:
            break
        take = min(q[i], need)  # the last case is weakened just enough
        q[i] -= take
        need -= take
    return q


def diffuse(p, drop: float):
    return p * (1 - drop / p.mean())


def sample_run(p, rng, run_id: str) -> list[CaseResult]:
    passed = rng.random(len(p)) < p
    out = []
    for i, ok in enumerate(passed):
        score = 1.0 if ok else 0.0
        out.append(
            CaseResult(
                run_id=run_id,
                suite="sim",
                case_id=f"c{i:05d}",
                model="target",
                prompt="p@v1",
                prompt_sha="x",
                repeat=0,
                status="pass" if ok else "fail",
                score=score,
                output=None,
                assertions=(AssertionResult("contains", "pass" if bool(ok) else "fail", score),),
            )
        )
    return out


def trips(p_base, p_cand, rng, policy: GatePolicy) -> bool:
    base = sample_run(p_base, rng, "base")
    cand = sample_run(p_cand, rng, "cand")
    cmp = compare(base, cand, {"run_id": "base"}, {"run_id": "cand"}, alpha=policy.alpha)
    return not verdict(cand, RunSummary(), Policies(policy), comparison=cmp).passed


def rates(
    trials: int = 200, n: int = 500, seed: int = 0, concentration: float = CONCENTRATION
) -> dict[str, float]:
    """Fraction of trials in which the gate fails, per scenario, and the noise flip rate."""
    import numpy as np

    rng = np.random.default_rng(seed)
    policy = GatePolicy()
    hits = {"null": 0.0, "break": 0.0, "diffuse": 0.0}
    flips = 0.0
    for _ in range(trials):
        p = target(n, rng, concentration=concentration)
        flips += float(np.mean(2 * p * (1 - p)))
        hits["null"] += trips(p, p, rng, policy)
        hits["break"] += trips(p, break_cases(p, DROP, rng), rng, policy)
        hits["diffuse"] += trips(p, diffuse(p, DROP), rng, policy)
    return {**{k: v / trials for k, v in hits.items()}, "flips": flips / trials}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=200)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sweep", action="store_true", help="also vary the noise level")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    r = rates(args.trials, args.n, args.seed)
    took = time.perf_counter() - t0
    print(
        f"target: n={args.n}, p_i ~ Beta({MEAN}*{CONCENTRATION}, {1 - MEAN:.2f}*{CONCENTRATION}),"
        f" {r['flips']:.1%} of cases flip between identical runs"
    )
    print(f"false-positive rate (same target twice): {r['null']:.1%}  (target <= 5%)")
    print(f"power, 5-point drop, broken cases:       {r['break']:.1%}  (target >= 80%)")
    print(f"power, 5-point drop, diffuse:            {r['diffuse']:.1%}  (informational)")
    print(f"{args.trials} trials x 3 scenarios in {took:.1f} s")
    if args.sweep:
        print("\nconcentration  flips   false-pos  power(break)  power(diffuse)")
        for k in (0.1, 0.25, 0.5, 1.0, 2.0):
            s = rates(args.trials, args.n, args.seed, k)
            print(
                f"{k:>13}  {s['flips']:5.1%}  {s['null']:9.1%}  {s['break']:12.1%}"
                f"  {s['diffuse']:14.1%}"
            )
    return 0 if r["null"] <= 0.05 and r["break"] >= 0.80 else 1


if __name__ == "__main__":
    raise SystemExit(main())
