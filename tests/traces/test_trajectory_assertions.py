"""The trajectory:* assertions over ScoreContext.trajectory: promptfoo's value shapes and
verdicts, not- semantics, no trajectory = unscored, goal-success through the judge
machinery, and bad values found by validate with file:line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llmeval.domain.prompt import Message
from llmeval.domain.request import Completion
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.domain.trajectory import Step
from llmeval.errors import ConfigError
from llmeval.judge.bundled import bundled_prompt
from llmeval.metrics import registry
from llmeval.metrics.apply import finalize
from llmeval.metrics.base import BuildContext, ScoreContext

PATH = (
    Step(
        "span", "invoke_agent support", source="otel", attributes={"span": "invoke_agent support"}
    ),
    Step("model", "gpt-4o-mini", source="otel"),
    Step("tool", "lookup_order", {"order_id": "BL-1", "verbose": False, "request_id": "r1"}, "{}"),
    Step("model", "gpt-4o-mini", source="otel"),
    Step("tool", "search_faq", {"query": "refund policy"}, "30 days"),
    Step("tool", "lookup_order", {"order_id": "BL-2", "items": [{"sku": 1, "qty": 2}]}),
    Step("tool", "issue_refund", {"order_id": "BL-1", "amount": 10}, error="denied"),
)


def check(type_: str, value: Any, steps: tuple[Step, ...] = PATH, negate: bool = False):
    spec = AssertionSpec(type=type_, value=value, negate=negate)
    defn, fn = registry.build(spec, BuildContext(root=Path(".")))
    raw = fn(ScoreContext(output="done", case=Case(id="c"), trajectory=steps))
    return finalize(defn, spec, raw)


def passed(*args: Any, **kw: Any) -> bool | None:
    return check(*args, **kw).passed


@pytest.mark.parametrize(
    ("value", "negate", "want"),
    [
        ("lookup_order", False, True),
        ("LOOKUP_*", False, True),  # glob, case-insensitive
        ("lookup?order", False, True),
        ("cancel_order", False, False),
        (["lookup_order", "search_faq"], False, True),
        (["lookup_order", "cancel_order"], False, False),
        # not- with a list (promptfoo): none of them may be used
        (["cancel_order", "delete_account"], True, True),
        (["cancel_order", "issue_refund"], True, False),
        ("issue_refund", True, False),
        ({"name": "lookup_order", "min": 2}, False, True),
        ({"name": "lookup_order", "min": 3}, False, False),
        ({"name": "lookup_order", "max": 1}, False, False),
        ({"pattern": "*_order", "min": 2, "max": 2}, False, True),
        ({"name": "gpt-4o-mini", "type": "model", "min": 2, "max": 2}, False, True),
        # default type is tool: a model step named so does not count
        ({"name": "gpt-4o-mini"}, False, False),
    ],
)
def test_tool_used(value, negate, want) -> None:
    assert passed("trajectory:tool-used", value, negate=negate) is want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (["lookup_order", "search_faq", "issue_refund"], True),
        (["lookup_order", "issue_refund"], True),  # others between are fine in order
        (["search_faq", "lookup_order", "issue_refund"], True),  # the second lookup counts
        (["issue_refund", "search_faq"], False),
        ({"mode": "exact", "steps": ["lookup_order", "search_faq", "lookup_order", "issue_refund"]}, True),
        ({"mode": "exact", "steps": ["lookup_order", "search_faq", "issue_refund"]}, False),
        ({"mode": "exact", "steps": ["lookup_*", "search_faq", {"name": "lookup_order"}, "*"]}, True),
    ],
)  # fmt: skip
def test_tool_sequence(value, want) -> None:
    assert passed("trajectory:tool-sequence", value) is want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ({"name": "lookup_order", "args": {"order_id": "BL-2"}}, True),  # any call of it
        ({"name": "lookup_order", "arguments": {"order_id": "BL-9"}}, False),
        ({"name": "lookup_order", "args": {"items": [{"sku": 1}]}}, True),  # partial, nested
        ({"name": "lookup_order", "args": {"items": []}}, False),  # lists: same length
        ({"name": "search_faq", "args": {"query": "refund policy"}, "mode": "exact"}, True),
        ({"name": "lookup_order", "args": {"order_id": "BL-1"}, "mode": "exact"}, False),
        ({"name": "lookup_order", "args": {"order_id": "BL-1"}, "mode": "exact",
          "ignore": "*_id", "defaults": {"verbose": False}}, True),  # ignored on both sides
        ({"name": "lookup_order", "args": {"order_id": "BL-1"}, "mode": "exact",
          "ignore": ["request_id"], "defaults": {"verbose": False}}, True),
        ({"name": "issue_refund", "args": {"amount": 10.0}}, True),  # 10 == 10.0 as in JSON
        ({"name": "issue_refund", "args": {"amount": True}}, False),
        ({"pattern": "issue_*", "args": {"order_id": "BL-1"}}, True),
    ],
)  # fmt: skip
def test_tool_args_match(value, want) -> None:
    assert passed("trajectory:tool-args-match", value) is want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ({"type": "tool", "min": 4, "max": 4}, True),
        ({"type": "tool", "max": 3}, False),
        ({"type": ["tool", "model"], "min": 6}, True),
        ({"min": 7, "max": 7}, True),  # every step
        ({"type": "span", "pattern": "invoke_agent*", "min": 1, "max": 1}, True),
        ({"name": "lookup_order", "max": 1}, False),
    ],
)
def test_step_count(value, want) -> None:
    assert passed("trajectory:step-count", value) is want


def test_reasons_name_the_actual_tools() -> None:
    r = check("trajectory:tool-sequence", ["issue_refund", "search_faq"])
    assert r.reason == (
        'Expected tool "search_faq" was not observed in order. Actual tools: '
        "tool:lookup_order, tool:search_faq, tool:lookup_order, tool:issue_refund"
    )


@pytest.mark.parametrize(
    ("type_", "value"),
    [
        ("trajectory:tool-used", "x"),
        ("trajectory:tool-sequence", ["x"]),
        ("trajectory:tool-args-match", {"name": "x", "args": {}}),
        ("trajectory:step-count", {"max": 3}),
    ],
)
@pytest.mark.parametrize("negate", [False, True])
def test_no_trajectory_is_unscored_never_a_pass(type_, value, negate) -> None:
    r = check(type_, value, steps=(), negate=negate)
    assert r.passed is None and "no trajectory was recorded" in (r.reason or str(r))


@pytest.mark.parametrize(
    ("type_", "value", "message"),
    [
        ("trajectory:tool-used", 3, "value should be"),
        ("trajectory:tool-used", [], "tool name or a list"),
        ("trajectory:tool-used", {"min": 1}, "needs a 'name' or 'pattern'"),
        ("trajectory:tool-used", {"name": "x", "min": -1}, "'min' should be a whole number"),
        ("trajectory:tool-used", {"name": "x", "min": 3, "max": 1}, "greater than 'max'"),
        ("trajectory:tool-used", {"name": "x", "count": 1}, "unknown key(s) ['count']"),
        ("trajectory:tool-sequence", {"mode": "any", "steps": ["x"]}, "in_order or exact"),
        ("trajectory:tool-sequence", {"steps": []}, "non-empty list"),
        ("trajectory:tool-sequence", [{"type": "tool"}], "needs a 'name' or 'pattern'"),
        ("trajectory:tool-args-match", {"name": "x"}, "needs 'args'"),
        ("trajectory:tool-args-match", {"args": {}}, "needs a 'name' or 'pattern'"),
        ("trajectory:tool-args-match", {"name": "x", "args": {}, "mode": "fuzzy"}, "partial"),
        ("trajectory:tool-args-match", {"name": "x", "args": {}, "ignore": [""]}, "'ignore'"),
        ("trajectory:tool-args-match", {"name": "x", "args": {}, "defaults": [1]}, "'defaults'"),
        ("trajectory:step-count", {"type": "tool"}, "needs 'min' or 'max'"),
        ("trajectory:step-count", {"type": "thought", "max": 1}, "step type 'thought'"),
        ("trajectory:goal-success", {"aim": "x"}, "the goal"),
        ("trajectory:goal-success", "  ", "the goal"),
    ],
)
def test_bad_values_are_config_errors(type_, value, message) -> None:
    with pytest.raises(ConfigError) as e:
        registry.build(AssertionSpec(type=type_, value=value), BuildContext(root=Path(".")))
    assert message in e.value.message


class Judge:
    """A scripted judge (the Services protocol): records what it was sent."""

    def __init__(self, reply: str, unavailable: str | None = None) -> None:
        self.reply, self.unavailable = reply, unavailable
        self.sent: list[tuple[Message, ...]] = []

    async def judge(self, messages, *, model, repeat) -> Completion:
        self.sent.append(messages)
        return Completion(text=self.reply, model_id="fake-judge")

    def judge_available(self, model):
        return self.unavailable

    def load_prompt(self, ref):
        return bundled_prompt(ref)


async def goal(services: Judge, value: Any, steps: tuple[Step, ...] = PATH, negate=False):
    spec = AssertionSpec(type="trajectory:goal-success", value=value, negate=negate)
    defn, fn = registry.build(spec, BuildContext(root=Path("."), judge="j"))
    ctx = ScoreContext(
        output="Refund issued.",
        case=Case(id="c", vars={"order": "BL-1"}),
        messages=(Message("user", "Refund BL-1"),),
        trajectory=steps,
    )
    return finalize(defn, spec, await fn(ctx, services))


async def test_goal_success_sends_output_and_summarised_trajectory_to_the_judge() -> None:
    judge = Judge('{"reason": "the refund call failed", "pass": false, "score": 0.1}')
    r = await goal(judge, {"goal": "Refund order {{ order }}"})
    assert r.passed is False and r.reason == "the refund call failed"
    user = "\n".join(m.content for m in judge.sent[0] if m.role == "user")
    assert "The agent achieved this goal: Refund order BL-1" in user
    assert "Refund issued." in user  # the final output, fenced
    assert '7. tool:issue_refund args={"amount": 10, "order_id": "BL-1"} [error: denied]' in user
    assert "Refund BL-1" in user  # the question
    negated = await goal(Judge('{"reason": "done", "pass": true, "score": 1}'), "x", negate=True)
    assert negated.passed is False


async def test_goal_success_without_a_judge_is_skipped_and_without_steps_unscored() -> None:
    r = await goal(Judge("", unavailable="no judge configured"), "Refund it")
    assert r.passed is None and r.status == "skipped"
    r = await goal(Judge('{"pass": true, "score": 1, "reason": "x"}'), "Refund it", steps=())
    assert r.passed is None and r.status == "error"


def test_summary_keeps_first_and_last_steps_of_a_long_run() -> None:
    from llmeval.metrics.trajectory import summarise

    steps = tuple(Step("tool", f"t{i}") for i in range(30))
    text = summarise(steps, limit=6).splitlines()
    assert text == ["1. tool:t0", "2. tool:t1", "3. tool:t2", "... 24 step(s) omitted ...",
                    "28. tool:t27", "29. tool:t28", "30. tool:t29"]  # fmt: skip


def test_validate_names_file_line_of_a_bad_trajectory_value(tmp_path: Path) -> None:
    (tmp_path / "llmeval.yaml").write_text(
        "models:\n  e: {provider: echo}\ndefaults: {models: [e]}\n"
    )
    (tmp_path / "prompts" / "p").mkdir(parents=True)
    (tmp_path / "prompts" / "p" / "v1.yaml").write_text("user: '{{ q }}'\n")
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "s.yaml").write_text(
        "name: s\nprompt: p@v1\ncases:\n  - id: a\n    vars: {q: x}\n    assert:\n"
        "      - type: trajectory:tool-sequence\n        value: {mode: sometimes, steps: [a]}\n"
        "      - type: trajectory:step-count\n        value: {type: tool}\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "llmeval", "validate"], cwd=tmp_path, capture_output=True, text=True
    )
    assert proc.returncode == 4, proc.stderr
    assert (
        "suites/s.yaml:8:16: trajectory:tool-sequence: mode should be" in proc.stdout + proc.stderr
    )
    assert "suites/s.yaml:10:16: trajectory:step-count: value needs 'min' or 'max'" in (
        proc.stdout + proc.stderr
    )
