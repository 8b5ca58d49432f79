"""promptfoo's own edge cases for the deterministic assertions, run through
registry.build -> metric -> apply.finalize so central not-/threshold handling is covered.

Cases are ported from promptfoo's test/assertions/*.test.ts (contains, contains-multi,
icontains, equals, not-equals, is-json, contains-json, levenshtein, index: regex,
starts-with, rouge-n, latency, cost) and src/assertions/wordCount.ts.
"""

from __future__ import annotations

from typing import Any

import pytest
from metric_harness import check

LATLON = {
    "required": ["latitude", "longitude"],
    "type": "object",
    "properties": {
        "latitude": {"type": "number", "minimum": -90, "maximum": 90},
        "longitude": {"type": "number", "minimum": -180, "maximum": 180},
    },
}
LATLON_YAML = """
required: [latitude, longitude]
type: object
properties:
  latitude: {type: number, minimum: -90, maximum: 90}
  longitude: {type: number, minimum: -180, maximum: 180}
"""
DATE = {"type": "object", "properties": {"date": {"type": "string", "format": "date"}}}

# (type, value, output, kwargs, passed)
CASES: list[tuple[str, Any, str, dict[str, Any], bool]] = [
    # contains / icontains: case sensitivity, numbers, inversion
    ("contains", "world", "hello world", {}, True),
    ("contains", "universe", "hello world", {}, False),
    ("contains", "World", "hello world", {}, False),
    ("not-contains", "universe", "hello world", {}, True),
    ("not-contains", "world", "hello world", {}, False),
    ("contains", 0, "There are 0 errors", {}, True),
    ("contains", 0, "no digits here", {}, False),
    ("contains", 1.0, "version 1 ready", {}, True),  # String(1.0) is "1" in JS
    ("contains", float("inf"), "Infinity", {}, True),
    ("icontains", "WORLD", "hello world", {}, True),
    ("icontains", "WoRlD", "Hello WORLD", {}, True),
    ("not-icontains", "WORLD", "hello world", {}, False),
    # contains-any: lists, comma-separated strings, CSV quoting
    ("contains-any", ["world", "universe"], "hello world", {}, True),
    ("contains-any", "world,universe", "hello world", {}, True),
    ("contains-any", '"hello, world",universe', "hello, world", {}, True),
    (
        "contains-any",
        '"hello, dear world", "goodbye, universe", simple',
        "hello, dear world",
        {},
        True,
    ),
    ("contains-any", '"",', "", {}, True),
    ("contains-any", '"hello, world"\t,foo', "zzz", {}, False),
    ("contains-any", '"hello, world"\t,\t"foo"', "foo", {}, True),
    ("contains-any", '"a""b",c', 'a"b', {}, True),
    ("contains-any", '"a""b",c', "b", {}, False),
    ("contains-any", '"hello\\"world,test", "another,test"', 'hello"world,test', {}, True),
    ("contains-any", '"hello\\"world,test", "another,test"', "another,test", {}, True),
    ("contains-any", '"hello\\"world,test", "another,test"', "something else", {}, False),
    ("contains-any", '""', "test", {}, True),
    ("contains-any", '"test\\\\test"', "test\\test", {}, True),
    ("contains-any", ["option1", "option2", "option3"], "contains none", {}, False),
    ("not-contains-any", ["bad", "worse"], "all good", {}, True),
    ("contains-any", ["World"], "hello world", {}, False),
    ("icontains-any", '"hello\\"world,test", "another,test"', "ANOTHER,TEST", {}, True),
    ("icontains-any", '"hello, world",universe', "HELLO, WORLD", {}, True),
    ("icontains-any", ["WORLD", "UNIVERSE"], "hello world", {}, True),
    ("icontains-any", "WORLD,UNIVERSE", "hello world", {}, True),
    ("icontains-any", "HELLO,  WORLD  ,  UNIVERSE", "hello", {}, True),
    ("icontains-any", ",WORLD,,", "", {}, False),
    ("icontains-any", '"",WORLD', "", {}, True),
    ("icontains-any", "  HELLO  ", "hello", {}, True),
    ("icontains-any", "HELLO,,,,WORLD", "hello", {}, True),
    ("icontains-any", "  ,  ,  ", "", {}, False),
    # contains-all
    ("contains-all", '"hello, world","foo"', "hello, world and foo", {}, True),
    ("contains-all", '"hello, world","bar"', "hello, world and foo", {}, False),
    ("contains-all", "hello", "hello world", {}, True),
    (
        "contains-all",
        '"say \\"hello\\"", "another,phrase"',
        'say "hello" and another,phrase here',
        {},
        True,
    ),
    ("contains-all", '"say \\"hello\\"", "missing,value"', 'say "hello" only', {}, False),
    ("contains-all", ["hello", "world"], "hello world", {}, True),
    ("contains-all", ["hello", "world", "universe"], "hello world", {}, False),
    ("contains-all", ["option1", "option2", "option3"], "only option1 and option2", {}, False),
    ("not-contains-all", ["hello", "universe"], "hello world", {}, True),
    (
        "icontains-all",
        '"say \\"hello\\"", "another,phrase"',
        'SAY "HELLO" AND ANOTHER,PHRASE',
        {},
        True,
    ),
    ("icontains-all", '"Hello, World","Foo"', "HELLO, WORLD AND FOO", {}, True),
    ("icontains-all", '""', "hello", {}, True),
    ("icontains-all", ["HELLO", "WORLD", "UNIVERSE"], "hello world", {}, False),
    ("icontains-all", ["HeLLo", "WoRLD"], "HELLO world", {}, True),
    # equals: strings are exact; objects compare as parsed JSON
    ("equals", "hello world", "hello world", {}, True),
    ("equals", "goodbye world", "hello world", {}, False),
    ("equals", "Hello world", "hello world", {}, False),
    ("not-equals", "hello world", "hello world", {}, False),
    ("not-equals", "goodbye world", "hello world", {}, True),
    ("equals", {"foo": "bar"}, '{"foo":"bar"}', {}, True),
    ("equals", {"foo": "bar"}, '{"foo":"baz"}', {}, False),
    ("equals", {"foo": "bar"}, "hello world", {}, False),
    ("not-equals", {"foo": "bar"}, "hello world", {}, True),
    ("equals", {"a": 1}, '{"a":1.0}', {}, True),
    ("equals", {"a": 1}, '{"a":true}', {}, False),
    ("equals", [1, 2], "[1, 2]", {}, True),
    ("equals", 42, "42", {}, True),
    # starts-with, regex
    ("starts-with", "Expected", "Expected output", {}, True),
    ("starts-with", "Expected", "Different output", {}, False),
    ("starts-with", "expected", "Expected output", {}, False),
    ("not-starts-with", "Expected", "Different output", {}, True),
    ("regex", r"\d{3}-\d{3}-\d{4}", "Call 123-456-7890 now", {}, True),
    ("regex", r"\d{3}-\d{3}-\d{4}", "No phone", {}, False),
    ("not-regex", r"\d{3}-\d{3}-\d{4}", "No phone", {}, True),
    ("regex", "^Hello", "hello", {}, False),
    ("regex", "(?<year>\\d{4})", "in 1999", {}, True),  # JS named group syntax
    # levenshtein: threshold is a maximum distance, default 5
    ("levenshtein", "test", "test", {}, True),
    ("levenshtein", "test", "tast", {}, True),
    ("levenshtein", "test", "tist", {"threshold": 2}, True),
    ("levenshtein", "test", "completely different", {}, False),
    ("levenshtein", "test", "tast", {"threshold": 0}, False),
    ("levenshtein", "", "", {}, True),
    ("levenshtein", "test!@#$", "test!@#$", {}, True),
    ("levenshtein", "Expected output", "Expected output", {"threshold": 5}, True),
    ("levenshtein", "Expected output", "Different output", {"threshold": 5}, False),
    ("not-levenshtein", "Expected output", "Different output", {"threshold": 5}, True),
    # word-count
    ("word-count", 3, "one two three", {}, True),
    ("word-count", "3", "one two three", {}, True),
    ("word-count", 3, "  one   two  ", {}, False),
    ("word-count", {"min": 2, "max": 4}, "one two three", {}, True),
    ("word-count", {"min": 2, "max": 4}, "one two three four five", {}, False),
    ("word-count", {"min": 2}, "one", {}, False),
    ("word-count", {"max": 2}, "one", {}, True),
    ("word-count", {"max": 2}, "", {}, True),
    ("not-word-count", {"min": 2, "max": 4}, "one", {}, True),
    # is-json (with schemas inline, as YAML text, and with formats)
    ("is-json", None, '{"key":"value"}', {}, True),
    ("is-json", None, "Not valid JSON", {}, False),
    ("not-is-json", None, "Not valid JSON", {}, True),
    ("is-json", None, "NaN", {}, False),
    ("is-json", LATLON, '{"latitude": 80.123, "longitude": -1}', {}, True),
    ("is-json", LATLON, '{"latitude": "high", "longitude": [-1]}', {}, False),
    ("not-is-json", LATLON, '{"latitude": "high", "longitude": [-1]}', {}, True),
    ("is-json", LATLON_YAML, '{"latitude": 80.123, "longitude": -1}', {}, True),
    ("is-json", LATLON_YAML, '{"latitude": "high", "longitude": [-1]}', {}, False),
    ("is-json", DATE, '{"date": "2021-08-29"}', {}, True),
    ("is-json", DATE, '{"date": "not a date"}', {}, False),
    ("json-schema", LATLON, '{"latitude": 1, "longitude": 2}', {}, True),
    # contains-json
    (
        "contains-json",
        None,
        'stuff \n\n {"key": "value", "key2": {"k": ["a", "b"]}} \n\n blah',
        {},
        True,
    ),
    ("contains-json", None, 'x {"a": 1} another {"b": {"c": 2}} y', {}, True),
    ("contains-json", None, "Not valid JSON", {}, False),
    ("not-contains-json", None, "Not valid JSON", {}, True),
    ("contains-json", LATLON, 'here\n\n```{"latitude": 80.123, "longitude": -1}```', {}, True),
    ("contains-json", LATLON, 'here\n\n```{"latitude": "medium", "longitude": -1}```', {}, False),
    ("contains-json", LATLON, '{"x": 1} then {"latitude": 1, "longitude": 2}', {}, True),
    # rouge-n: promptfoo's index.test.ts examples (threshold 0.75)
    (
        "rouge-n",
        "This is the expected output.",
        "This is the expected output.",
        {"threshold": 0.75},
        True,
    ),
    (
        "rouge-n",
        "This is the expected output.",
        "some different output",
        {"threshold": 0.75},
        False,
    ),
    ("not-rouge-n", "This is the expected output.", "some different output", {}, True),
    ("rouge-n", "hello world", "Hello World", {}, False),  # case-sensitive like js-rouge
    # latency / cost: threshold is a maximum
    ("latency", None, "x", {"threshold": 100, "latency_ms": 50}, True),
    ("latency", None, "x", {"threshold": 100, "latency_ms": 1000}, False),
    ("latency", None, "x", {"threshold": 100, "latency_ms": 0}, True),
    ("latency", None, "x", {"threshold": 100, "latency_ms": 100}, True),
    ("not-latency", None, "x", {"threshold": 100, "latency_ms": 1000}, True),
    ("cost", None, "x", {"threshold": 0.001, "cost_usd": 0.0005}, True),
    ("cost", None, "x", {"threshold": 0.001, "cost_usd": 0.002}, False),
]


@pytest.mark.parametrize(("type_", "value", "output", "kw", "passed"), CASES)
def test_promptfoo_case(
    type_: str, value: Any, output: str, kw: dict[str, Any], passed: bool
) -> None:
    result = check(type_, output, value, **kw)
    assert result.passed is passed, result.reason
    assert result.type == type_
    if type_.removeprefix("not-") != "rouge-n":  # boolean assertions score 1/0, like promptfoo's
        assert result.score == (1.0 if passed else 0.0)


def test_rouge_n_scores_and_inversion_match_promptfoo() -> None:
    """promptfoo 0.123 (js-rouge 3.2, an F1) reports 'ROUGE-N score 0.22' and scores
    not-rouge-n as 1 - score (the old js-rouge recall gave 0.17)."""
    ref = "This is the expected output."
    r = check("rouge-n", "some different output", ref, threshold=0.75)
    assert "0.22" in r.reason
    assert r.score == pytest.approx(2 / 9)  # P = 1/3, R = 1/6
    inv = check("not-rouge-n", "some different output", ref, threshold=0.75)
    assert inv.passed is True and inv.score == pytest.approx(7 / 9)


def test_rouge_n_default_threshold_is_075() -> None:
    ref = "a b c d"
    assert check("rouge-n", "a b c", ref).passed is True  # F1 6/7
    assert check("rouge-n", "a b", ref).passed is False  # F1 2/3
    # recall alone (the old js-rouge) would be 1.0; the F1 is 2/3, so padding no longer passes
    assert check("rouge-n", "a b c d e f g h", ref).passed is False


def test_schema_failure_reason_names_the_field() -> None:
    r = check("is-json", '{"latitude": "high", "longitude": [-1]}', LATLON)
    assert r.reason.startswith("JSON does not conform to the provided schema")
    assert "latitude" in r.reason


def test_contains_all_reason_lists_what_is_missing() -> None:
    r = check("contains-all", "hello world", ["hello", "world", "universe"])
    assert "[universe]" in r.reason


def test_latency_without_measurement_is_skipped_not_failed() -> None:
    r = check("latency", "x", threshold=100)
    assert r.passed is None and r.status == "skipped"


def test_equals_and_reference_metrics_fall_back_to_expected() -> None:
    assert check("equals", "Paris", expected="Paris").passed is True
    assert check("levenshtein", "Pariss", expected="Paris").passed is True
    assert check("rouge-n", "the cat sat", expected="the cat sat").passed is True
    err = check("rouge-n", "the cat sat")
    assert err.passed is None and err.status == "error"
