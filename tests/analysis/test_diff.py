from __future__ import annotations

import json

import pytest

from llmeval.analysis.diff import IncomparableError, compare
from llmeval.domain.record import AssertionResult
from llmeval.errors import UsageError

META_B = {"run_id": "base"}
META_C = {"run_id": "cand"}


def test_seven_regressions_and_two_fixes_are_listed_exactly(flips_fixture):
    base, cand = flips_fixture
    cmp = compare(base, cand, META_B, META_C)
    regressed = {c.case_id for c in cmp.by_change("regressed")}
    fixed = {c.case_id for c in cmp.by_change("fixed")}
    assert regressed == {f"c{i:02d}" for i in range(7)}
    assert fixed == {"c50", "c51"}
    assert cmp.counts == {
        "regressed": 7,
        "fixed": 2,
        "new": 0,
        "removed": 0,
        "flaky": 0,
        "errored": 0,
        "unchanged": 51,
    }
    pr = next(m for m in cmp.metrics if m.metric == "pass_rate")
    assert pr.n == 60
    assert pr.base_mean == pytest.approx(50 / 60)
    assert pr.cand_mean == pytest.approx(45 / 60)
    assert pr.delta == pytest.approx(-5 / 60)
    assert pr.ci_low < pr.delta < pr.ci_high
    assert pr.p_value == pytest.approx(0.1796875)  # exact binomial, 2 of 9 discordant
    assert pr.base_ci[0] < pr.base_mean < pr.base_ci[1]


def test_metrics_cover_score_and_named_assertions(mk):
    def res(run, cid, status, tone):
        return mk(
            cid,
            status,
            run_id=run,
            score=0.5 + tone / 2,
            assertions=(
                AssertionResult(
                    "icontains", "pass" if status == "pass" else "fail", float(status == "pass")
                ),
                AssertionResult("llm-rubric", "pass", tone, metric="tone"),
            ),
        )

    base = [res("b", f"c{i}", "pass", 0.9) for i in range(20)]
    cand = [res("c", f"c{i}", "pass", 0.9 - 0.01 * i) for i in range(20)]
    cmp = compare(base, cand, META_B, META_C)
    names = {m.metric for m in cmp.metrics}
    assert names == {"pass_rate", "score", "icontains", "tone"}
    tone = next(m for m in cmp.metrics if m.metric == "tone")
    assert tone.delta == pytest.approx(-sum(0.01 * i for i in range(20)) / 20)
    assert tone.p_value < 0.001  # Wilcoxon: 19 of 19 non-zero differences are drops
    assert tone.significant
    # Holm: every adjusted p at least its raw p
    assert all(m.p_adjusted >= m.p_value for m in cmp.metrics)


def test_new_removed_errored_and_flaky_cases(mk):
    base = [
        mk("same", "pass"),
        mk("gone", "pass"),
        mk("boom", "pass"),
        *(mk("wobbly", "pass", repeat=r) for r in range(3)),
    ]
    cand = [
        mk("same", "pass"),
        mk("fresh", "fail"),
        mk("boom", "error"),
        mk("wobbly", "pass", repeat=0),
        mk("wobbly", "fail", repeat=1),
        mk("wobbly", "pass", repeat=2),
    ]
    cmp = compare(base, cand, META_B, META_C)
    change = {c.case_id: c.change for c in cmp.cases}
    assert change == {
        "same": "unchanged",
        "gone": "removed",
        "fresh": "new",
        "boom": "errored",
        "wobbly": "flaky",
    }
    wobbly = next(c for c in cmp.cases if c.case_id == "wobbly")
    assert wobbly.cand_status == "flaky"
    assert wobbly.cand_output == "answer to wobbly"
    pr = next(m for m in cmp.metrics if m.metric == "pass_rate")
    # errors are excluded: "same" and "wobbly" are paired, wobbly went 1 -> 2/3
    assert pr.n == 2
    assert pr.delta == pytest.approx((0 + (2 / 3 - 1)) / 2)
    assert pr.p_value == 1.0  # flaky pairs never count as discordant


def test_pairs_across_prompt_versions_and_explains_changes(mk):
    base = [mk(f"c{i}", "pass", prompt="support@v2") for i in range(3)]
    cand = [mk(f"c{i}", "pass", prompt="support@v3") for i in range(3)]
    bm = {
        "run_id": "b",
        "prompts": {"support@v2": "ab12ab12ffff"},
        "models": {
            "m": {
                "provider": "openai",
                "model": "gpt-4o-mini",
                "model_id": "gpt-4o-mini-2024-07-18",
            }
        },
        "config_sha": "1111",
    }
    cm = {
        "run_id": "c",
        "label": "my branch",
        "prompts": {"support@v3": "cd34cd34eeee"},
        "models": {
            "m": {
                "provider": "openai",
                "model": "gpt-4o-mini",
                "model_id": "gpt-4o-mini-2025-01-01",
            }
        },
        "config_sha": "1111",
    }
    cmp = compare(base, cand, bm, cm)
    assert cmp.counts["unchanged"] == 3 and cmp.counts["new"] == 0
    assert cmp.cases[0].prompt == "support@v3"
    assert "prompt support v2 → v3" in cmp.changes
    assert "model m: openai:gpt-4o-mini-2024-07-18 → openai:gpt-4o-mini-2025-01-01" in cmp.changes
    assert cmp.cand.label == "my branch" and cmp.base.label == "b"


def test_same_ref_different_sha_is_reported(mk):
    r = [mk("c", "pass", prompt="support@v2")]
    cmp = compare(
        r, r, {"prompts": {"support@v2": "ab12ab12x"}}, {"prompts": {"support@v2": "cd34cd34y"}}
    )
    assert cmp.changes == ("prompt support@v2 changed (sha ab12ab12 → cd34cd34)",)


def test_ab_suite_pairs_by_full_ref(mk):
    base = [mk("c", "pass", prompt="p@v1"), mk("c", "fail", prompt="p@v2")]
    cand = [mk("c", "pass", prompt="p@v1"), mk("c", "pass", prompt="p@v2")]
    cmp = compare(base, cand, META_B, META_C)
    assert {(c.prompt, c.change) for c in cmp.cases} == {("p@v1", "unchanged"), ("p@v2", "fixed")}
    assert {m.prompt for m in cmp.metrics} == {"p@v1", "p@v2"}


@pytest.mark.parametrize(
    ("base_meta", "cand_meta", "message"),
    [
        (
            {"judge": {"model": "gpt-4o"}},
            {"judge": {"model": "gpt-4o-mini"}},
            "judge model gpt-4o → gpt-4o-mini",
        ),
        (
            {"judge": {"model": "j", "prompt_sha": "1"}},
            {"judge": {"model": "j", "prompt_sha": "2"}},
            "judge prompt changed",
        ),
        (
            {"suites": {"s": {"fingerprint": "aaa"}}},
            {"suites": {"s": {"fingerprint": "bbb"}}},
            "assertions changed for suite s",
        ),
        (
            {"suites": [{"name": "s", "fingerprint": "a"}]},
            {"suites": [{"name": "s", "fingerprint": "b"}]},
            "assertions changed for suite s",
        ),
    ],
)
def test_refuses_changed_judge_or_assertions(mk, base_meta, cand_meta, message):
    r = [mk("c", "pass")]
    with pytest.raises(IncomparableError, match=message) as e:
        compare(r, r, base_meta, cand_meta)
    assert isinstance(e.value, UsageError) and e.value.exit_code == 4
    assert "--allow-changed-judge" in str(e.value)
    cmp = compare(r, r, base_meta, cand_meta, allow_changed_judge=True)
    assert message in cmp.changes


def test_fingerprint_of_a_suite_not_in_both_runs_does_not_block(mk):
    r = [mk("c", "pass", suite="s")]
    cmp = compare(
        r,
        r,
        {"suites": {"other": {"fingerprint": "a"}}},
        {"suites": {"other": {"fingerprint": "b"}}},
    )
    assert cmp.changes == ()


def test_critical_from_meta_and_tags(mk):
    base = [mk("a", "pass"), mk("b", "pass")]
    cand = [mk("a", "fail"), mk("b", "fail", tags=("critical",))]
    cmp = compare(base, cand, META_B, {"suites": {"s": {"critical": ["a"]}}})
    assert all(c.critical for c in cmp.cases)
    cmp = compare(base, cand, META_B, META_C, critical={("s", "b")})
    assert {c.case_id: c.critical for c in cmp.cases} == {"a": False, "b": True}


def test_to_json_shape_is_the_report_contract(flips_fixture):
    base, cand = flips_fixture
    doc = compare(base, cand, META_B, META_C).to_json()
    json.dumps(doc, allow_nan=False)  # strictly valid JSON
    assert set(doc) == {"base", "cand", "changes", "alpha", "metrics", "cases", "counts"}
    assert doc["base"] == {"run_id": "base", "label": "base"}
    assert set(doc["metrics"][0]) == {
        "suite",
        "model",
        "prompt",
        "metric",
        "n",
        "base_mean",
        "cand_mean",
        "delta",
        "ci_low",
        "ci_high",
        "p_value",
        "p_adjusted",
        "significant",
        "base_ci",
        "cand_ci",
    }
    assert isinstance(doc["metrics"][0]["base_ci"], list)
    assert set(doc["cases"][0]) == {
        "suite",
        "case_id",
        "model",
        "prompt",
        "change",
        "base_status",
        "cand_status",
        "base_score",
        "cand_score",
        "base_output",
        "cand_output",
        "critical",
    }
    assert doc["counts"]["regressed"] == 7


def test_comparison_is_reproducible(flips_fixture):
    base, cand = flips_fixture
    assert compare(base, cand, META_B, META_C, seed=3) == compare(
        base, cand, META_B, META_C, seed=3
    )


def test_changes_fall_back_to_what_the_results_record(mk):
    base = [mk("c", "pass", prompt="support@v2", model_id="gpt-4o-mini-2024-07-18")]
    cand = [mk("c", "pass", prompt="support@v3", model_id="gpt-4o-mini-2025-01-01")]
    cmp = compare(base, cand, {}, {})
    assert cmp.changes == (
        "prompt support v2 → v3",
        "model m: gpt-4o-mini-2024-07-18 → gpt-4o-mini-2025-01-01",
    )
