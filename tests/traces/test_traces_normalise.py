"""Spans -> steps (GenAI conventions, fallback mapping, order, errors), OTLP JSON -> spans,
and a target's reported trajectory -> steps: pure, table-driven."""

from __future__ import annotations

import base64
import json

import pytest

from llmeval.domain.trajectory import Step
from llmeval.errors import BadRequestError
from llmeval.traces.otlp import spans_from_otlp_json
from llmeval.traces.spans import SpanRecord, spans_to_steps, to_step
from llmeval.traces.steps import steps_from_target

T = "0af7651916cd43dd8448eb211c80319c"


def span(name: str, start: int = 0, end: int = 1_000_000, sid: str = "00f067aa0ba902b7", **kw):
    attrs = kw.pop("attrs", {})
    return SpanRecord(name=name, trace_id=T, span_id=sid, start_ns=start, end_ns=end,
                      attributes=attrs, **kw)  # fmt: skip


@pytest.mark.parametrize(
    ("attrs", "name", "want"),
    [
        # GenAI semantic conventions
        (
            {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "get_weather",
             "gen_ai.tool.call.arguments": '{"city": "Paris"}', "gen_ai.tool.call.result": "rain"},
            "execute_tool get_weather",
            ("tool", "get_weather", {"city": "Paris"}, "rain"),
        ),
        # execute_tool without gen_ai.tool.name: the span name carries it
        ({"gen_ai.operation.name": "execute_tool"}, "execute_tool lookup", ("tool", "lookup", None, None)),
        # fallback attributes of other instrumentations
        ({"tool.name": "search", "tool.arguments": {"q": "x"}, "tool.output": 3}, "whatever",
         ("tool", "search", {"q": "x"}, "3")),
        ({"function.name": "calc", "input.value": "not json"}, "fn", ("tool", "calc", None, None)),
        # a span name alone
        ({}, "execute_tool fetch_page", ("tool", "fetch_page", None, None)),
        # a list of available tools is not a tool name
        ({"tool": '[{"name": "a"}]'}, "agent run", ("span", "agent run", None, None)),
        # model steps
        ({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o-mini",
          "gen_ai.tool.name": "ignored"}, "chat gpt-4o-mini", ("model", "gpt-4o-mini", None, None)),
        ({"gen_ai.operation.name": "text_completion"}, "complete", ("model", "complete", None, None)),
        # anything else
        ({"http.method": "GET"}, "GET /orders", ("span", "GET /orders", None, None)),
    ],
)  # fmt: skip
def test_span_mapping(attrs, name, want) -> None:
    step = to_step(span(name, attrs=attrs))
    assert (step.type, step.name, step.arguments, step.output) == want
    assert step.source == "otel"
    assert step.attributes["span"] == name
    assert step.duration_ms == 1.0


def test_non_object_arguments_are_kept_raw() -> None:
    step = to_step(span("t", attrs={"tool.name": "calc", "tool.args": "2+2"}))
    assert step.arguments is None and step.attributes["arguments_raw"] == "2+2"


@pytest.mark.parametrize(
    ("kw", "want"),
    [
        ({"status": "error", "status_message": "timeout talking to db"}, "timeout talking to db"),
        ({"status": "error", "events": (("exception", {"exception.message": "boom"}),)}, "boom"),
        ({"status": "error", "attrs": {"tool.name": "x", "error.type": "KeyError"}}, "KeyError"),
        ({"status": "error"}, "error"),
        ({"status": "ok", "status_message": "fine"}, None),
        ({"status": "unset"}, None),
    ],
)
def test_errors_come_from_the_span_status(kw, want) -> None:
    assert to_step(span("s", **kw)).error == want


def test_steps_are_ordered_by_start_and_llmevals_root_is_left_out() -> None:
    spans = [
        span("root", 0, 90, sid="0000000000000001"),
        span("b", 30, 40, sid="0000000000000003"),
        span("a", 10, 20, sid="0000000000000002"),
        span("a2", 10, 15, sid="0000000000000004"),  # same start: the earlier end first
    ]
    steps = spans_to_steps(spans, root_span_id="0000000000000001")
    assert [s.name for s in steps] == ["a2", "a", "b"]


def _kv(key: str, value: dict) -> dict:
    return {"key": key, "value": value}


def test_otlp_json_request_is_read() -> None:
    sid = "00f067aa0ba902b7"
    doc = {
        "resourceSpans": [{
            "resource": {"attributes": [_kv("service.name", {"stringValue": "app"})]},
            "scopeSpans": [{
                "scope": {"name": "agent"},
                "spans": [
                    {
                        "traceId": T.upper(), "spanId": sid, "parentSpanId": "1111111111111111",
                        "name": "execute_tool lookup", "kind": 1,
                        "startTimeUnixNano": "1700000000000000000",
                        "endTimeUnixNano": "1700000000002500000",
                        "attributes": [
                            _kv("gen_ai.operation.name", {"stringValue": "execute_tool"}),
                            _kv("gen_ai.tool.name", {"stringValue": "lookup"}),
                            _kv("n", {"intValue": "3"}), _kv("f", {"doubleValue": 0.5}),
                            _kv("b", {"boolValue": True}),
                            _kv("l", {"arrayValue": {"values": [{"stringValue": "x"}]}}),
                            _kv("m", {"kvlistValue": {"values": [_kv("k", {"intValue": 1})]}}),
                        ],
                        "events": [{"name": "exception", "attributes": [
                            _kv("exception.message", {"stringValue": "no such order"})]}],
                        "status": {"code": 2},
                    },
                    # base64 ids (protobuf's generic JSON mapping) are read too
                    {"traceId": base64.b64encode(bytes.fromhex(T)).decode(),
                     "spanId": base64.b64encode(bytes.fromhex(sid)).decode(), "name": "b64",
                     "status": {"code": "STATUS_CODE_OK"}},
                    {"traceId": "nothex", "spanId": sid, "name": "dropped"},
                    "not a span",
                ],
            }],
        }, "junk"]
    }  # fmt: skip
    spans = spans_from_otlp_json(json.loads(json.dumps(doc)))
    assert [s.name for s in spans] == ["execute_tool lookup", "b64"]
    first, second = spans
    assert first.trace_id == T and first.parent_span_id == "1111111111111111"
    assert first.attributes == {
        "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup",
        "n": 3, "f": 0.5, "b": True, "l": ["x"], "m": {"k": 1},
    }  # fmt: skip
    assert first.status == "error" and to_step(first).error == "no such order"
    assert to_step(first).duration_ms == 2.5
    assert second.trace_id == T and second.span_id == sid and second.status == "ok"


@pytest.mark.parametrize(
    "doc", [None, [], {"resourceSpans": "x"}, {"resourceSpans": [{"scopeSpans": [1]}]}]
)
def test_malformed_otlp_is_no_spans(doc) -> None:
    assert spans_from_otlp_json(doc) == []


def test_target_trajectory_shapes() -> None:
    steps = steps_from_target([
        {"type": "tool", "name": "lookup", "arguments": {"id": 1}, "output": {"ok": True}},
        {"tool": "search", "args": '{"q": "refund"}', "result": "30 days", "duration_ms": 4},
        {"type": "function", "function": {"name": "calc", "arguments": '{"x": 2}'}},
        {"type": "model", "name": "gpt", "error": "rate limited", "step": 3},
        "bare_tool",
    ])  # fmt: skip
    assert steps == (
        Step("tool", "lookup", {"id": 1}, '{"ok": true}', source="target"),
        Step("tool", "search", {"q": "refund"}, "30 days", duration_ms=4.0, source="target"),
        Step("tool", "calc", {"x": 2}, source="target"),
        Step("model", "gpt", error="rate limited", source="target", attributes={"step": 3}),
        Step("tool", "bare_tool", source="target"),
    )
    assert steps_from_target({"steps": ["a"]}) == (Step("tool", "a", source="target"),)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lookup", "should be a list"),
        ([{"name": "x", "type": "thought"}], "type 'thought'"),
        ([{"arguments": {}}], "has no name"),
        ([3], "is a int"),
    ],
)
def test_malformed_target_trajectory_is_a_failed_call(value, message) -> None:
    with pytest.raises(BadRequestError) as e:
        steps_from_target(value)
    assert message in str(e.value)
