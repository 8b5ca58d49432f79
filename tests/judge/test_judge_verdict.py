from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmeval.judge.prompting import parse_pairwise, parse_verdict

GOOD = '{"reason": "states 30 days", "pass": true, "score": 0.9}'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD, (True, 0.9, "states 30 days")),
        ('{"reason": "rude", "pass": false, "score": 0.1}', (False, 0.1, "rude")),
        ("```json\n" + GOOD + "\n```", (True, 0.9, "states 30 days")),
        ("```\n" + GOOD + "\n```", (True, 0.9, "states 30 days")),
        ("Let me think. The output is fine.\n" + GOOD, (True, 0.9, "states 30 days")),
        ("Verdict: " + GOOD + " That is all.", (True, 0.9, "states 30 days")),
        ('{"reason": "x", "score": 0.7}', (True, 0.7, "x")),  # pass derived from score
        ('{"reason": "x", "score": 0.49}', (False, 0.49, "x")),
        ('{"reason": "x", "pass": true}', (True, 1.0, "x")),  # score derived from pass
        ('{"reason": "x", "pass": false}', (False, 0.0, "x")),
        ('{"pass": true, "score": 7}', (True, 1.0, "")),  # clamped
        ('{"pass": false, "score": -2}', (False, 0.0, "")),
        ('{"pass": "true", "score": "0.8"}', (True, 0.8, "")),
        ('{"pass": true, "score": null}', (True, 1.0, "")),
        ('{"reason": {"a": 1}, "pass": true}', (True, 1.0, '{"a": 1}')),
        ('{"pass": true, "score": 0.5, "details": {"nested": {"x": 1}}}', (True, 0.5, "")),
    ],
)
def test_parse_verdict_accepts(text: str, expected: tuple[bool, float, str]) -> None:
    v = parse_verdict(text)
    assert v is not None
    assert (v.passed, v.score, v.reason) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "The output passes.",
        "PASS",
        "{not json}",
        '{"reason": "no verdict"}',
        '{"pass": 1, "score": 0.9}',  # 1 is not a boolean: do not guess
        '{"pass": "maybe"}',
        '{"pass": true, "score": "high"}',
        '{"pass": true, "score": NaN}',
        '{"pass": true, "score": [1]}',
        "[" + GOOD + "]",  # an array, not an object
        GOOD + "\n" + '{"reason": "second", "pass": false, "score": 0}',  # two verdicts
        "```json\n" + GOOD + "\n```\n```json\n" + GOOD + "\n```",
        'Output said {"pass": true}. My verdict: {"reason": "bad", "pass": false}',
        '{"reason": "truncated", "pass": tr',
    ],
)
def test_parse_verdict_rejects(text: str) -> None:
    assert parse_verdict(text) is None


def test_parse_verdict_non_string_input() -> None:
    assert parse_verdict(None) is None
    assert parse_verdict(b'{"pass": true}') is None


@pytest.mark.parametrize(
    ("text", "winner"),
    [
        ('{"reason": "A is clearer", "winner": "A"}', "A"),
        ('{"reason": "", "winner": "b"}', "B"),
        ('{"winner": "Tie", "reason": "same"}', "tie"),
        ('```json\n{"winner": "B", "reason": "x"}\n```', "B"),
        ('I compared both. {"winner": "A", "reason": "x"}', "A"),
    ],
)
def test_parse_pairwise(text: str, winner: str) -> None:
    v = parse_pairwise(text)
    assert v is not None and v.winner == winner


@pytest.mark.parametrize(
    "text",
    ['{"winner": "C"}', '{"winner": 1}', '{"reason": "x"}', "A", '{"winner": "A"} {"winner": "B"}'],
)
def test_parse_pairwise_rejects(text: str) -> None:
    assert parse_pairwise(text) is None


_json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@settings(deadline=None)  # shared CI machines are slow; no timing here
@given(st.text(max_size=300))
def test_parse_verdict_never_raises_on_text(text: str) -> None:
    v = parse_verdict(text)
    assert v is None or (0.0 <= v.score <= 1.0 and isinstance(v.passed, bool))
    parse_pairwise(text)


@settings(deadline=None)  # shared CI machines are slow; no timing here
@given(
    st.dictionaries(
        st.sampled_from(["pass", "passed", "score", "reason", "winner", "x"]), _json_values
    ),
    st.text(max_size=40),
    st.text(max_size=40),
)
def test_parse_verdict_on_json_like_replies(obj: dict, before: str, after: str) -> None:
    text = before.replace("{", "(") + json.dumps(obj) + after.replace("{", "(")
    v = parse_verdict(text)
    assert v is None or (0.0 <= v.score <= 1.0 and isinstance(v.passed, bool))
    if v is not None and isinstance(obj.get("pass"), bool):
        assert v.passed is obj["pass"]
