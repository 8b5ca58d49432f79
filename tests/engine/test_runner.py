"""The runner on in-process providers: journal, errors as data, interrupt, budget, resume."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.domain.record import Score
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.domain.suite import AssertionSpec, Case, Suite
from llmeval.engine.journal import Journal, read_journal
from llmeval.engine.observer import RecordingObserver
from llmeval.engine.plan import CompiledAssertion, Plan, WorkItem
from llmeval.engine.runner import Runner, RunOptions
from llmeval.errors import AuthenticationError, CircuitOpenError, TransientError
from llmeval.metrics.base import MetricDef

PROMPT = PromptTemplate("p", 1, (Message("user", "{{ q }}"),), sha="abc")
CONTAINS = MetricDef(name="contains", factory=lambda s, b: None)


def contains(value: str) -> CompiledAssertion:
    spec = AssertionSpec(type="contains", value=value)
    return CompiledAssertion(
        spec, CONTAINS, lambda ctx: Score(passed=value in ctx.output, reason=f"wants {value}")
    )


def make_plan(n: int, model: ModelSpec, asserts=()) -> Plan:
    cases = tuple(Case(id=f"c{i}", vars={"q": f"q{i}"}) for i in range(n))
    suite = Suite(name="s", path="suites/s.yaml", cases=cases)
    items = tuple(
        WorkItem(suite, c, model, PROMPT, 0, (Message("user", c.vars["q"]),), {}, tuple(asserts))
        for c in cases
    )
    return Plan(items, (suite,), {model.alias: model}, {PROMPT.ref: PROMPT})


class Fake:
    def __init__(self, fail=None, delay=0.0):
        self.calls: list[str] = []
        self.fail = fail or {}
        self.delay = delay

    async def complete(self, request: CompletionRequest) -> Completion:
        text = request.messages[-1].content
        self.calls.append(text)
        if self.delay:
            await asyncio.sleep(self.delay)
        if text in self.fail:
            raise self.fail[text]
        return Completion(text=f"answer {text}", model_id="fake-1", input_tokens=3, output_tokens=2)


def run(plan, provider, tmp_path: Path, done=frozenset(), stop=None, **opts):
    journal = Journal(tmp_path / "results.jsonl")
    obs = RecordingObserver()
    runner = Runner(plan, {"m": provider}, journal, obs, RunOptions(run_id="r1", **opts))

    async def main():
        return await runner.run(set(done), stop or asyncio.Event())

    outcome = asyncio.run(main())
    journal.close()
    return outcome, obs, read_journal(journal.path)


M = ModelSpec(alias="m", provider="fake")


def test_every_result_journaled_with_status_and_scores(tmp_path):
    plan = make_plan(20, M, [contains("q1")])
    outcome, _obs, results = run(plan, Fake(), tmp_path, concurrency=4)
    assert outcome.finished == 20 and len(results) == 20
    passed = sorted(r.case_id for r in results if r.status == "pass")
    # "answer q1", "answer q10".."answer q19" contain q1
    assert passed == sorted(["c1"] + [f"c{i}" for i in range(10, 20)])
    r = next(r for r in results if r.case_id == "c2")
    assert r.status == "fail" and r.score == 0.0 and r.assertions[0].passed is False
    assert r.model_id == "fake-1" and r.tokens == {"input": 3, "output": 2}
    assert r.messages == ({"role": "user", "content": "q2"},)


def test_failing_target_is_that_cases_error_and_run_goes_on(tmp_path):
    fake = Fake(fail={"q3": TransientError("HTTP 500"), "q4": ValueError("boom")})
    _outcome, _, results = run(make_plan(6, M), fake, tmp_path)
    by = {r.case_id: r for r in results}
    assert by["c3"].status == "error" and by["c3"].error.kind == "transient"
    assert by["c4"].status == "error" and by["c4"].error.kind == "target"
    assert "boom" in by["c4"].error.message
    assert sum(r.status == "pass" for r in results) == 4


def test_auth_error_stops_the_model_and_leaves_rest_not_run(tmp_path):
    fake = Fake(fail={"q0": AuthenticationError("bad key")})
    outcome, obs, results = run(make_plan(10, M), fake, tmp_path, concurrency=1)
    assert [r.case_id for r in results] == ["c0"]
    assert "m" in outcome.dead_models and obs.notices


def test_circuit_open_leaves_case_not_run(tmp_path):
    fake = Fake(fail={"q2": CircuitOpenError("down")})
    _outcome, _, results = run(make_plan(5, M), fake, tmp_path, concurrency=1)
    assert sorted(r.case_id for r in results) == ["c0", "c1"]


def test_resume_runs_only_missing(tmp_path):
    plan = make_plan(10, M)
    fake = Fake()
    run(plan, fake, tmp_path, done={i.key for i in plan.items[:6]})
    assert sorted(fake.calls) == sorted(f"q{i}" for i in range(6, 10))


def test_interrupt_keeps_finished_results(tmp_path):
    plan = make_plan(50, M)
    fake = Fake(delay=0.01)
    stop = asyncio.Event()

    class Stopper(RecordingObserver):
        def on_result(self, result):
            super().on_result(result)
            if len(self.results) == 5:
                stop.set()

    journal = Journal(tmp_path / "results.jsonl")
    runner = Runner(plan, {"m": fake}, journal, Stopper(), RunOptions(run_id="r", concurrency=2))
    outcome = asyncio.run(runner.run(set(), stop))
    journal.close()
    results = read_journal(journal.path)
    assert outcome.stop_reason == "interrupted"
    assert 5 <= len(results) < 50
    assert len({r.key for r in results}) == len(results)


def test_budget_stop(tmp_path):
    plan = make_plan(10, M)
    journal = Journal(tmp_path / "results.jsonl")
    runner = Runner(
        plan,
        {"m": Fake()},
        journal,
        RecordingObserver(),
        RunOptions(run_id="r", concurrency=1, max_cost_usd=0.35),
        cost=lambda spec, c: 0.1,
        estimate=lambda item: 0.1,
    )
    outcome = asyncio.run(runner.run(set(), asyncio.Event()))
    journal.close()
    assert outcome.stop_reason == "budget"
    assert len(read_journal(journal.path)) == 3
    assert outcome.spent_usd == pytest.approx(0.3)


def test_journal_ignores_partial_last_line(tmp_path):
    plan = make_plan(3, M)
    run(plan, Fake(), tmp_path)
    path = tmp_path / "results.jsonl"
    with open(path, "a") as fh:
        fh.write('{"run_id": "r1", "suite": "s", "case_id": "c9"')  # killed mid-write
    assert len(read_journal(path)) == 3
    Journal(path).close()  # reopening repairs the tail
    assert path.read_text().endswith("\n")


def test_scorer_crash_is_case_error(tmp_path):
    def boom(ctx):
        raise RuntimeError("scorer bug")

    bad = CompiledAssertion(AssertionSpec(type="contains", value="x"), CONTAINS, boom)
    _, _, results = run(make_plan(2, M, [bad]), Fake(), tmp_path)
    assert all(r.status == "error" and r.error.kind == "scorer" for r in results)
    assert "scorer bug" in results[0].error.message


def test_first_stop_lets_calls_in_flight_finish(tmp_path):
    """They are paid for: keep them. Only new work is refused."""
    plan = make_plan(20, M)
    fake = Fake(delay=0.05)
    stop = asyncio.Event()

    class Stopper(RecordingObserver):
        def on_result(self, result):
            super().on_result(result)
            stop.set()

    journal = Journal(tmp_path / "results.jsonl")
    runner = Runner(plan, {"m": fake}, journal, Stopper(), RunOptions(run_id="r", concurrency=4))
    asyncio.run(runner.run(set(), stop))
    journal.close()
    # every call that was sent got journaled: nothing paid for is lost
    assert len(read_journal(journal.path)) == len(fake.calls) == 4


def test_abandon_cancels_calls_in_flight(tmp_path):
    plan = make_plan(8, M)
    fake = Fake(delay=5)

    async def main():
        stop, abandon = asyncio.Event(), asyncio.Event()
        journal = Journal(tmp_path / "results.jsonl")
        runner = Runner(plan, {"m": fake}, journal, RecordingObserver(), RunOptions("r", 4))
        task = asyncio.create_task(runner.run(set(), stop, abandon))
        await asyncio.sleep(0.05)
        stop.set()
        await asyncio.sleep(0.05)
        abandon.set()
        out = await asyncio.wait_for(task, 2)
        journal.close()
        return out, read_journal(journal.path)

    outcome, results = asyncio.run(main())
    assert outcome.stop_reason == "interrupted" and results == []


def test_compact_keeps_one_line_per_result_the_last(tmp_path):
    from llmeval.engine.journal import compact

    plan = make_plan(3, M)
    run(plan, Fake(fail={"q1": TransientError("500")}), tmp_path)
    run(plan, Fake(), tmp_path, done={plan.items[0].key, plan.items[2].key})  # retry c1
    path = tmp_path / "results.jsonl"
    assert len(path.read_text().splitlines()) == 4
    assert compact(path) == 1
    lines = [json.loads(ln) for ln in path.read_text().splitlines()]
    assert sorted(ln["case_id"] for ln in lines) == ["c0", "c1", "c2"]
    assert next(ln for ln in lines if ln["case_id"] == "c1")["status"] == "pass"
    assert compact(path) == 0
