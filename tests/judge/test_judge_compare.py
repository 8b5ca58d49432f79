"""select-best / max-score: the comparison pass over the outputs of one case."""

from __future__ import annotations

import json

from judge_fakes import FakeServices, grade, user_text

from llmeval.domain.record import AssertionResult
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.judge.compare import DEFERRED, max_score, select_best
from llmeval.metrics.base import ScoreContext


def res(type_: str, score: float) -> AssertionResult:
    return AssertionResult(type=type_, status="pass" if score >= 0.5 else "fail", score=score)


def test_max_score_picks_the_best_aggregate() -> None:
    spec = AssertionSpec(type="max-score")
    got = max_score(
        spec,
        [
            [res("contains", 1), res("bleu", 0.2)],
            [res("contains", 1), res("bleu", 0.8)],
            [res("contains", 0), res("bleu", 0.9)],
        ],
    )
    assert [s.passed for s in got] == [False, True, False]
    weighted = AssertionSpec(type="max-score", value={"weights": {"contains": 10}})
    got = max_score(
        weighted, [[res("contains", 1), res("bleu", 0.2)], [res("contains", 0), res("bleu", 1.0)]]
    )
    assert [s.passed for s in got] == [True, False]
    high = AssertionSpec(type="max-score", value={"threshold": 0.99})
    assert [s.passed for s in max_score(high, [[res("x", 0.5)], [res("x", 0.4)]])] == [False, False]


async def test_per_result_they_are_deferred_not_passed() -> None:
    raw, res_ = await grade(FakeServices(), "select-best", "Most concise.")
    assert raw.skipped and raw.reason == DEFERRED and res_.passed is None


async def test_select_best_asks_once_with_every_output() -> None:
    svc = FakeServices(json.dumps({"best": 2, "reason": "shorter"}))
    spec = AssertionSpec(type="select-best", value="Most concise.")
    ctx = ScoreContext(output="", case=Case(id="c"))
    got = await select_best(spec, ["long answer here", "short", "meh"], svc, ctx)
    assert [s.passed for s in got] == [False, True, False]
    assert len(svc.calls) == 1 and "short" in user_text(svc.calls[0][0])
    bad = await select_best(spec, ["a", "b"], FakeServices('{"best": 7}'), ctx)
    assert all(s.passed is None and s.error for s in bad)


async def test_comparison_pass_replaces_the_placeholders() -> None:
    from llmeval.judge.compare import comparison_pass

    specs = [
        AssertionSpec(type="contains", value="a"),
        AssertionSpec(type="max-score"),
        AssertionSpec(type="select-best", value="Best.", negate=True),
    ]
    svc = FakeServices(json.dumps({"best": 1, "reason": "r"}))
    ctx = ScoreContext(output="", case=Case(id="c"))
    got = await comparison_pass(
        specs, ["a", "b"], [[res("contains", 1)], [res("contains", 0)]], svc, ctx
    )
    assert [[r.type for r in rs] for rs in got] == [["max-score", "not-select-best"]] * 2
    assert [rs[0].passed for rs in got] == [True, False]
    assert [rs[1].passed for rs in got] == [False, True]  # not- applied centrally
    assert await comparison_pass(specs, ["a"], [[res("contains", 1)]], svc, ctx) == [[]]
