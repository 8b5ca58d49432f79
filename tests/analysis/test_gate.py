from __future__ import annotations

import dataclasses

import pytest

from llmeval.analysis.diff import compare
from llmeval.analysis.gate import Policies, RunState, verdict
from llmeval.analysis.summarize import GroupSummary, RunSummary
from llmeval.domain.project import GatePolicy

META = {"run_id": "x"}


def group(passed, failed, errors=0, **kw):
    return GroupSummary(
        suite=kw.pop("suite", "s"),
        model="m",
        prompt="p@v1",
        n=passed + failed + errors + kw.get("skipped", 0),
        passed=passed,
        failed=failed,
        errors=errors,
        pass_rate=passed / (passed + failed) if passed + failed else None,
        **kw,
    )


def decide(comparison, groups, policy, suites, state=RunState()):
    """The verdict from summary groups (objects or run.json dicts) and policies."""
    gs = tuple(g if isinstance(g, GroupSummary) else GroupSummary.from_json(g) for g in groups)
    per = (
        {
            k: dataclasses.replace(policy, **v) if isinstance(v, dict) else v
            for k, v in suites.items()
        }
        if suites
        else {}
    )
    return verdict([], RunSummary(gs), Policies(policy, per), state, comparison)


def texts(v):
    return tuple(r.message for r in v.reasons)


@pytest.mark.parametrize(
    ("policy", "passes", "why"),
    [
        # 7 down, 2 up out of 60: p = 0.18, not significant at 0.05
        (GatePolicy(), True, None),
        # a lenient alpha makes the 8.3-point drop significant and large enough
        (GatePolicy(alpha=0.4, min_effect=0.05), False, "pass_rate dropped 83.3% → 75.0%"),
        # significant but smaller than min_effect: no failure
        (GatePolicy(alpha=0.4, min_effect=0.10), True, None),
    ],
)
def test_flip_fixture_decides_as_policy_says(flips_fixture, policy, passes, why):
    base, cand = flips_fixture
    cmp = compare(base, cand, META, META, alpha=policy.alpha)
    gate = decide(cmp, [], policy, {})
    assert gate.passed is passes
    if why:
        assert why in texts(gate)[0]
        assert "-8.3 points" in texts(gate)[0]


def test_many_stable_regressions_fail_the_gate(mk):
    base = [mk(f"c{i}", "pass") for i in range(200)]
    cand = [mk(f"c{i}", "fail" if i < 20 else "pass") for i in range(200)]
    gate = decide(compare(base, cand, META, META), [], GatePolicy(), {})
    assert not gate.passed
    # pass_rate, score and contains hold the same numbers: one drop, one reason
    assert texts(gate) == (
        "s [m, p@v1]: pass_rate dropped 100.0% → 90.0% (-10.0 points, 95% CI "
        f"[{texts(gate)[0].split('CI [')[1].split(']')[0]}], p_adj=1.91e-06, n=200; "
        "same drop in score, contains)",
    )


def test_critical_case_going_pass_to_fail_fails_first(mk):
    base = [mk(f"c{i}", "pass") for i in range(200)]
    cand = [mk(f"c{i}", "fail" if i < 20 else "pass") for i in range(200)]
    cmp = compare(base, cand, META, {"suites": {"s": {"critical": ["c3"]}}})
    gate = decide(cmp, [], GatePolicy(), {})
    assert texts(gate)[0] == "critical case s/c3 [m, p@v1] went pass → fail"
    # a single critical regression fails even when nothing is significant
    cmp = compare(
        base,
        [mk(f"c{i}", "fail" if i == 3 else "pass") for i in range(200)],
        META,
        {"suites": {"s": {"critical": ["c3"]}}},
    )
    gate = decide(cmp, [], GatePolicy(), {})
    assert not gate.passed and len(gate.reasons) == 1


def test_flaky_critical_case_does_not_fail_but_is_listed(mk):
    base = [mk("c", "pass", repeat=r) for r in range(3)]
    cand = [mk("c", s, repeat=r) for r, s in enumerate(["pass", "fail", "pass"])]
    cmp = compare(base, cand, META, META, critical={("s", "c")})
    gate = decide(cmp, [group(2, 1)], GatePolicy(), {})
    assert gate.passed, texts(gate)
    assert gate.flaky == ("s/c [m, p@v1]",)


def test_many_flaky_cases_do_not_fail_the_gate(mk):
    base, cand = [], []
    for i in range(100):
        for r in range(3):
            base.append(mk(f"c{i}", "pass", repeat=r))
            cand.append(mk(f"c{i}", "fail" if r == 0 else "pass", repeat=r))
    gate = decide(compare(base, cand, META, META), [], GatePolicy(), {})
    assert gate.passed
    assert len(gate.flaky) == 100


@pytest.mark.parametrize(
    ("grp", "comparison", "policy", "suites", "fails"),
    [
        # no baseline: default min pass rate 1.0
        (group(9, 1), False, GatePolicy(), {}, True),
        (group(10, 0), False, GatePolicy(), {}, False),
        # the suite's own floor (carried by the summary group)
        (group(9, 1, min_pass_rate=0.9), False, GatePolicy(), {}, False),
        (group(8, 2, min_pass_rate=0.9), False, GatePolicy(), {}, True),
        # suite policy, then global policy
        (group(8, 2), False, GatePolicy(), {"s": {"min_pass_rate": 0.8}}, False),
        (group(8, 2), False, GatePolicy(min_pass_rate=0.85), {}, True),
        # with a baseline, no floor unless one is set
        (group(1, 9), True, GatePolicy(), {}, False),
        (group(1, 9), True, GatePolicy(min_pass_rate=0.5), {}, True),
    ],
)
def test_min_pass_rate(mk, grp, comparison, policy, suites, fails):
    cmp = compare([mk("c", "pass")], [mk("c", "pass")], META, META) if comparison else None
    gate = decide(cmp, [grp], policy, suites)
    assert gate.passed is not fails
    if fails:
        assert "below min_pass_rate" in texts(gate)[0]


def test_min_pass_rate_applies_by_default_to_suites_without_baseline(mk):
    cmp = compare([mk("c", "pass")], [mk("c", "pass")], META, META)  # covers suite "s" only
    gate = decide(cmp, [group(9, 1, suite="other")], GatePolicy(), {})
    assert not gate.passed and texts(gate)[0].startswith("other ")


@pytest.mark.parametrize(
    ("errors", "budget", "fails"),
    [(0, 0.0, False), (1, 0.0, True), (1, 0.05, False), (2, 0.05, True)],
)
def test_error_budget(errors, budget, fails):
    grp = group(20, 0, errors, min_pass_rate=0.0)  # n = 20 + errors
    gate = decide(None, [grp], GatePolicy(max_error_rate=budget), {})
    # errors of unknown kind are the candidate's own: they fail, resuming cannot fix them
    assert gate.passed is not fails
    assert (gate.exit_code == 1) is fails
    if fails:
        assert "exceeds max_error_rate" in texts(gate)[-1]


def test_reasons_are_ordered_by_importance(mk):
    base = [mk(f"c{i}", "pass") for i in range(200)]
    cand = [mk(f"c{i}", "fail" if i < 20 else "pass") for i in range(200)]
    cmp = compare(base, cand, META, {"suites": {"s": {"critical": ["c0"]}}})
    g = group(180, 20, 3)
    gate = decide(cmp, [g], GatePolicy(min_pass_rate=0.95), {})
    kinds = [
        "critical"
        if r.startswith("critical")
        else "drop"
        if "dropped" in r
        else "floor"
        if "min_pass_rate" in r
        else "errors"
        if "max_error_rate" in r
        else "?"
        for r in texts(gate)
    ]
    assert kinds == ["critical", "drop", "floor", "errors"]
    assert all("\n" not in r for r in texts(gate))


def test_summary_groups_from_run_json_dicts():
    g = {
        "suite": "s",
        "model": "m",
        "prompt": "p",
        "n": 4,
        "passed": 3,
        "failed": 1,
        "pass_rate": 0.75,
    }
    gate = decide(None, [g], GatePolicy(), {})
    assert not gate.passed and "75.0%" in texts(gate)[0]


def test_suite_policy_overrides_only_given_keys():
    class S:
        name, gate, min_pass_rate, cases = "s", {"min_effect": 0.1}, None, ()

    pol = Policies.build(GatePolicy(alpha=0.01), [S()]).for_suite("s")
    assert (pol.alpha, pol.min_effect) == (0.01, 0.1)
    assert Policies.build(GatePolicy(), []).for_suite("s") == GatePolicy()


def test_policies_round_trip_through_run_json():
    class S:
        name, gate, min_pass_rate = "s", {"max_regressions": 2}, 0.5
        cases = (type("C", (), {"id": "c1", "min_pass_rate": 0.9})(),)

    p = Policies.build(GatePolicy(alpha=0.1), [S()])
    assert Policies.from_json(p.to_json()) == p


def test_flaky_cases_from_the_run_summary_are_listed_without_a_baseline():
    g = {
        "suite": "s",
        "model": "m",
        "prompt": "p",
        "n": 6,
        "passed": 5,
        "failed": 1,
        "min_pass_rate": 0.8,
        "pass_rate": 5 / 6,
        "repeats": {"flaky": ["c1"]},
    }
    gate = decide(None, [g], GatePolicy(), {})
    assert gate.passed and gate.flaky == ("s/c1 [m, p]",)


def test_comparison_json_round_trips(flips_fixture):
    from llmeval.analysis.comparison import Comparison

    base, cand = flips_fixture
    cmp = compare(base, cand, META, META)
    doc = cmp.to_json()
    back = Comparison.from_json(doc)
    assert back.cases == cmp.cases and back.metrics == cmp.metrics
    assert back.to_json() == doc
