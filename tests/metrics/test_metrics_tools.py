"""Tool assertions, finish-reason and ttft: table-driven through registry -> finalize
(thresholds and not- applied centrally), with promptfoo's semantics where named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from metric_harness import check

from llmeval.domain.suite import AssertionSpec
from llmeval.domain.tools import ToolCall, ToolSpec
from llmeval.errors import ConfigError
from llmeval.metrics import registry
from llmeval.metrics.base import BuildContext
from llmeval.metrics.tools import partial_match

TOOLS = (
    ToolSpec(
        "get_weather",
        "",
        {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city"],
        },
    ),
    ToolSpec("get_time", "", {"type": "object", "properties": {"tz": {"type": "string"}}}),
)
W = ToolCall(
    "get_weather", {"city": "Paris", "unit": "c", "opts": {"days": 3, "hourly": False}}, "1"
)
T = ToolCall("get_time", {"tz": "UTC"}, "2")
BROKEN = ToolCall("get_weather", None, "3", raw_arguments="{city: Paris")


def run(
    type_: str, value: Any, calls: tuple[ToolCall, ...], **kw: Any
) -> tuple[bool | None, float | None, str]:
    r = check(type_, "", value, tool_calls=calls, tools=TOOLS, **kw)
    return r.passed, r.score, r.reason


TOOL_CALL = [
    # (value, calls, passed)
    ("get_weather", (W,), True),
    ("get_weather", (), False),
    ("get_weather", (T,), False),
    ({"name": "get_weather", "arguments": {"city": "Paris"}}, (W,), True),
    ({"name": "get_weather", "arguments": {"opts": {"days": 3}}}, (W,), True),  # nested partial
    ({"name": "get_weather", "arguments": {"city": "paris"}}, (W,), False),
    ({"name": "get_weather", "arguments": {"opts": {"hourly": 0}}}, (W,), False),  # False is not 0
    ({"name": "get_weather", "arguments": {"city": "Paris"}}, (BROKEN,), False),
    ({"name": "get_weather", "schema": {"type": "object", "required": ["unit"]}}, (W,), True),
    ({"name": "get_weather", "schema": {"type": "object", "required": ["zip"]}}, (W,), False),
    ({"name": "get_weather", "position": "first"}, (T, W), False),
    ({"name": "get_weather", "position": "first"}, (W, T), True),
    ({"name": "get_weather", "position": "any"}, (T, W), True),
    ({"name": "get_weather", "position": "only"}, (W, T), False),
    ({"name": "get_weather", "position": "only"}, (W,), True),
    (
        {"name": "get_weather", "arguments": {"city": "Rome"}},
        (W, ToolCall("get_weather", {"city": "Rome"})),
        True,
    ),
]


@pytest.mark.parametrize(("value", "calls", "passed"), TOOL_CALL)
def test_tool_call(value: Any, calls: tuple[ToolCall, ...], passed: bool) -> None:
    assert run("tool-call", value, calls)[0] is passed
    assert run("not-tool-call", value, calls)[0] is (not passed)


def test_tool_call_reasons_say_what_happened() -> None:
    assert run("tool-call", "get_weather", ())[2] == "no tool call (expected get_weather)"
    reason = run("tool-call", {"name": "get_weather", "arguments": {"city": "Rome"}}, (W,))[2]
    assert reason.startswith('get_weather called with {"city": "Paris"')


@pytest.mark.parametrize(
    "value",
    [
        {"arguments": {}},
        {"name": "f", "arguments": {}, "schema": {}},
        {"name": "f", "position": "last"},
        {"name": "f", "args": {}},
        {"name": "f", "arguments": [1]},
        {"name": "f", "schema": {"type": "objekt"}},
        ["f"],
    ],
)
def test_tool_call_bad_values_fail_at_plan_time(value: Any) -> None:
    with pytest.raises(ConfigError):
        registry.build(
            AssertionSpec(type="tool-call", value=value),
            BuildContext(root=Path.cwd()),
        )


VALID = [
    ((W,), True, "1 valid tool call(s)"),
    ((W, T), True, "2 valid tool call(s)"),
    ((), False, "the model made no tool call"),
    (
        (ToolCall("send_email", {}),),
        False,
        'Called "send_email", but there is no function with that name',
    ),
    ((BROKEN,), False, "arguments of the call to get_weather are not valid JSON"),
    (
        (ToolCall("get_weather", {"unit": "c"}),),
        False,
        "Call to get_weather does not match schema: data: 'city' is a required property",
    ),
    (
        (ToolCall("get_weather", {"city": "X", "unit": "k"}),),
        False,
        "Call to get_weather does not match schema: data/unit: 'k' is not one of ['c', 'f']",
    ),
]


@pytest.mark.parametrize(("calls", "passed", "reason"), VALID)
def test_is_valid_openai_tools_call(calls: tuple[ToolCall, ...], passed: bool, reason: str) -> None:
    assert run("is-valid-openai-tools-call", None, calls) == (
        passed,
        1.0 if passed else 0.0,
        reason,
    )


def test_is_valid_openai_tools_call_needs_declared_tools() -> None:
    r = check("is-valid-openai-tools-call", "", tool_calls=(W,))
    assert r.passed is False and r.reason == "no tools were declared for this request"


F1 = [
    # promptfoo's vectors: set semantics, order and repeats ignored
    (["get_weather"], (W,), 1.0),
    (["get_weather", "get_time"], (W,), 2 / 3),  # precision 1, recall 0.5
    ("get_weather, get_time", (T, W, W), 1.0),
    (["get_weather"], (W, T), 2 / 3),  # precision 0.5, recall 1
    (["book"], (W,), 0.0),
    (["book"], (), 0.0),
]


@pytest.mark.parametrize(("value", "calls", "f1"), F1)
def test_tool_call_f1(value: Any, calls: tuple[ToolCall, ...], f1: float) -> None:
    passed, score, _ = run("tool-call-f1", value, calls)
    assert score == pytest.approx(f1)
    assert passed is (f1 >= 1.0)  # default threshold 1.0, as in promptfoo
    assert run("tool-call-f1", value, calls, threshold=0.6)[0] is (f1 >= 0.6)


def test_tool_call_f1_reads_serialised_calls_from_the_output() -> None:
    r = check(
        "tool-call-f1", '{"tool_calls": [{"function": {"name": "a"}}, {"name": "b"}]}', ["a", "b"]
    )
    assert r.passed is True and r.score == 1.0


def test_tool_call_f1_needs_names() -> None:
    with pytest.raises(ConfigError):
        registry.build(
            AssertionSpec(type="tool-call-f1", value=" , "),
            BuildContext(root=Path.cwd()),
        )


@pytest.mark.parametrize(
    ("value", "reason", "passed"),
    [
        ("stop", "stop", True),
        ("STOP", "stop", True),
        ("length", "stop", False),
        ("tool_calls", "tool_calls", True),
        ("stop", None, False),
    ],
)
def test_finish_reason(value: str, reason: str | None, passed: bool) -> None:
    r = check("finish-reason", "x", value, finish_reason=reason)
    assert r.passed is passed
    if reason is None:
        assert r.reason == "Provider did not supply stop/finish reason"


def test_ttft_is_a_maximum_and_skips_unstreamed_results() -> None:
    assert check("ttft", "x", threshold=500, ttft_ms=120.0).passed is True
    assert check("ttft", "x", threshold=100, ttft_ms=120.0).passed is False
    skipped = check("ttft", "x", threshold=100)
    assert skipped.passed is None and skipped.status == "skipped"
    with pytest.raises(ConfigError, match="needs a threshold"):
        check("ttft", "x")


def test_partial_match_table() -> None:
    assert partial_match({}, {"a": 1})
    assert partial_match({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2, "c": 3}]})
    assert not partial_match({"a": [1]}, {"a": [1, 2]})
    assert partial_match({"n": 1}, {"n": 1.0})
    assert not partial_match({"n": 1}, {"n": True})
    assert not partial_match({"a": 1}, None)
