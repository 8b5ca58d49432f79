from __future__ import annotations

import datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from llmeval.config.yaml import YamlList, YamlMap, locate, parse_yaml
from llmeval.domain.location import Location
from llmeval.errors import ConfigErrors

DOC = """\
name: demo
cases:
  - id: one
    vars: {q: hi}
  - id: two
    prompt: |
      line one
      line two
"""


def test_keys_values_and_items_remember_their_place() -> None:
    data = parse_yaml(DOC, "suites/x.yaml")
    assert isinstance(data, YamlMap) and isinstance(data["cases"], YamlList)
    assert data.key_location("cases") == Location("suites/x.yaml", 2, 1)
    assert data["cases"].item_location(1) == Location("suites/x.yaml", 5, 5)
    assert locate(data, ("cases", 0, "vars", "q")) == Location("suites/x.yaml", 4, 15)
    assert locate(data, ("cases", 0, "vars"), key=True) == Location("suites/x.yaml", 4, 5)


def test_block_scalar_points_at_its_first_content_line() -> None:
    data = parse_yaml(DOC, "f.yaml")
    assert locate(data, ("cases", 1, "prompt")) == Location("f.yaml", 7, 7)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("cases", 0, "nope"), Location("f.yaml", 3, 5)),  # missing key: its mapping
        (("cases", 9), Location("f.yaml", 3, 3)),  # index out of range: the list
        ((), Location("f.yaml", 1, 1)),
    ],
)
def test_locate_falls_back_to_the_nearest_node(path: tuple, expected: Location) -> None:
    assert locate(parse_yaml(DOC, "f.yaml"), path) == expected


def test_locate_on_plain_data_uses_the_default() -> None:
    assert locate({"a": 1}, ("a",), default=Location("d.jsonl", 7)) == Location("d.jsonl", 7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 2\na: 3\n", "f.yaml:3:1: duplicate key 'a'"),
        ("top:\n  x: 1\n  y: 2\n  x: 1\n", "f.yaml:4:3: duplicate key 'x'"),
        ("- {k: 1, k: 2}\n", "f.yaml:1:10: duplicate key 'k'"),
    ],
)
def test_duplicate_keys_are_errors_at_the_duplicate(text: str, expected: str) -> None:
    with pytest.raises(ConfigErrors) as info:
        parse_yaml(text, "f.yaml")
    assert [str(e) for e in info.value.errors] == [expected]


def test_every_duplicate_is_reported() -> None:
    with pytest.raises(ConfigErrors) as info:
        parse_yaml("a: 1\na: 2\nb: 1\nb: 2\n", "f.yaml")
    assert [e.location.line for e in info.value.errors] == [2, 4]


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        ("a: [1, 2\nb: 3\n", 2, 2, "expected ',' or ']'"),
        ("a:\n  - b\n c: 1\n", 3, 2, "did not find expected key"),
        ('a: "open\n', 2, 1, "end of stream"),
        ("a: *nothing\n", 1, 4, "undefined alias"),
        ("a: 1\n---\nb: 2\n", 2, 1, "single document"),
    ],
)
def test_syntax_errors_carry_file_line_col(text: str, line: int, col: int, words: str) -> None:
    with pytest.raises(ConfigErrors) as info:
        parse_yaml(text, "suites/bad.yaml")
    (err,) = info.value.errors
    assert err.location == Location("suites/bad.yaml", line, col)
    assert words in err.message and err.message.startswith("YAML syntax error")


@pytest.mark.parametrize(
    "text", ["a: !!python/object/apply:os.system [ls]\n", "x: !!python/name:os.system ''\n"]
)
def test_unsafe_tags_are_refused(text: str) -> None:
    with pytest.raises(ConfigErrors, match="unsupported YAML tag '!!python"):
        parse_yaml(text, "f.yaml")


def test_merge_keys_are_not_duplicates_and_own_keys_win() -> None:
    data = parse_yaml("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  x: 3\n", "f.yaml")
    assert data["m"] == {"x": 3, "y": 2}
    assert data["m"].value_location("x") == Location("f.yaml", 4, 6)


def test_scalars_resolve_like_pyyaml_safe_load_except_dates() -> None:
    text = "v: [yes, no, ~, 1.5, 0x1F, '3', !!str 4, 2001-12-14, 1_000, .inf, '']\n"
    expected = yaml.safe_load(text)
    # a date stays the text as written (JSON has no date type; see config.yaml)
    assert expected["v"][7] == datetime.date(2001, 12, 14)
    expected["v"][7] = "2001-12-14"
    assert parse_yaml(text, "f.yaml") == expected


def test_empty_file_is_none() -> None:
    assert parse_yaml("# only a comment\n", "f.yaml") is None


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
_keys = st.one_of(st.text(max_size=8), st.integers())
_docs = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(doc=_docs, flow=st.booleans())
def test_parses_exactly_what_pyyaml_parses(doc: object, flow: bool) -> None:
    """The event-based builder agrees with yaml.safe_load on any dumped document."""
    text = yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True)
    assert parse_yaml(text, "f.yaml") == yaml.safe_load(text)
