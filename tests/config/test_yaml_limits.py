"""YAML that is valid but hostile: alias bombs, deep nesting, non-JSON types, words
read as booleans. Each is an error (or a warning) at its line, found fast."""

from __future__ import annotations

import time

import pytest

from llmeval.config.limits import MAX_ALIAS_EXPANSION, MAX_DEPTH, depth, measure
from llmeval.config.settings import _check_secrets
from llmeval.config.yaml import YamlList, YamlMap, parse_yaml
from llmeval.domain.location import Location
from llmeval.errors import ConfigError, ConfigErrors, ConfigWarning


def _errors(text: str) -> list[str]:
    with pytest.raises(ConfigErrors) as e:
        parse_yaml(text, "f.yaml")
    return [str(x) for x in e.value.errors]


def _laughs(levels: int) -> str:
    out = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        out.append(f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]")
    return "\n".join(out) + "\n"


def test_billion_laughs_is_an_error_at_the_alias_fast() -> None:
    start = time.monotonic()
    (msg,) = _errors(_laughs(9) + "v: *a8\n")
    assert time.monotonic() - start < 1.0
    assert msg.startswith("f.yaml:") and "aliases expand to more than" in msg
    line = int(msg.split(":")[1])
    assert 2 <= line <= 10  # at the alias use that crossed the limit


def test_small_alias_use_is_fine() -> None:
    data = parse_yaml(_laughs(3) + "v: *a2\n", "f.yaml")
    assert len(data["v"]) == 9 and data["v"][0][0][0] == "lol"


def test_a_shared_block_used_by_many_cases_is_within_the_limit() -> None:
    # 10,000 cases sharing a 100-character vars block: 1.3M of the 5M expansion budget
    text = "d: &d {q: '" + "x" * 100 + "', k: v}\ncases:\n" + "  - vars: *d\n" * 10_000
    assert len(parse_yaml(text, "f.yaml")["cases"]) == 10_000
    assert MAX_ALIAS_EXPANSION > 10_000 * 110


def test_alias_of_long_strings_counts_characters() -> None:
    text = "s: &s '" + "A" * 100_000 + "'\nl: [" + ",".join(["*s"] * 60) + "]\n"
    (msg,) = _errors(text)
    assert "aliases expand" in msg


@pytest.mark.parametrize("n", [MAX_DEPTH + 1, 960, 999, 1001, 20_000])
def test_deep_nesting_is_a_clean_error(n: int) -> None:
    (msg,) = _errors("v: " + "[" * n + "]" * n + "\n")
    assert msg.startswith("f.yaml:1:")
    # past 1000 levels libyaml's own scanner stops first, also with a clean message
    assert f"nested more than {MAX_DEPTH} levels deep" in msg or "maximum nesting depth" in msg


def test_nesting_just_under_the_limit_loads() -> None:
    n = MAX_DEPTH - 1  # plus the root mapping
    data = parse_yaml("v: " + "[" * n + "]" * n + "\n", "f.yaml")
    assert depth(data) == MAX_DEPTH


def test_alias_that_deepens_past_the_limit() -> None:
    text = "d: &d " + "[" * 95 + "]" * 95 + "\nv: [[[[[[[[*d]]]]]]]]\n"
    (msg,) = _errors(text)
    assert msg.startswith("f.yaml:2:") and "alias '*d' makes the data nested" in msg


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("v: 2024-05-01\n", "2024-05-01"),
        ("v: 2024-05-01 10:30:00\n", "2024-05-01 10:30:00"),
        ("v: 2001-12-14t21:59:43.10-05:00\n", "2001-12-14t21:59:43.10-05:00"),
        ("v: !!timestamp 2024-05-01\n", "2024-05-01"),
        ("v: '2024-05-01'\n", "2024-05-01"),
    ],
)
def test_dates_stay_the_text_as_written(text: str, value: str) -> None:
    assert parse_yaml(text, "f.yaml")["v"] == value


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ("a: 1\nv: !!binary aGVsbG8=\n", "f.yaml:2:4", "binary data"),
        ("v: !!set {a, b}\n", "f.yaml:1:4", "!!set"),
        ("v: !!omap [a: 1]\n", "f.yaml:1:4", "!!omap"),
        ("v: !!python/tuple [1]\n", "f.yaml:1:4", "!!python/tuple"),
        ("v: !Custom x\n", "f.yaml:1:4", "!Custom"),
    ],
)
def test_types_json_cannot_hold_are_refused_at_their_line(text: str, where: str, what: str) -> None:
    (msg,) = _errors(text)
    assert msg.startswith(where + ": ") and what in msg


def test_control_character_points_at_its_line() -> None:
    (msg,) = _errors("a: 1\nb: x\x00y\n")
    assert msg.startswith("f.yaml:2:5: ") and "0x00" in msg


def test_word_booleans_in_vars_warn_once_each_with_place() -> None:
    text = (
        "critical: yes\n"  # not a var: no warning
        "cases:\n"
        "  - vars: {a: yes, b: 'no', c: true, d: Off}\n"
        "    tags: [on]\n"  # not a var value
    )
    warnings: list[ConfigError] = []
    data = parse_yaml(text, "f.yaml", warnings)
    assert data["cases"][0]["vars"] == {"a": True, "b": "no", "c": True, "d": False}
    assert all(isinstance(w, ConfigWarning) for w in warnings)
    got = [(w.location, w.message.split(",")[0]) for w in warnings]
    line3 = text.splitlines()[2]
    assert got == [
        (Location("f.yaml", 3, line3.index("yes") + 1), "var 'a' is the word 'yes'"),
        (Location("f.yaml", 3, line3.index("Off") + 1), "var 'd' is the word 'Off'"),
    ]


def test_measure_counts_shared_nodes_per_use_but_visits_once() -> None:
    leaf = ["ab"] * 10  # 1 + 10 * 3
    shared = [leaf] * 10
    size, height = measure({"k": shared}, {})
    assert height == 3 and size == 1 + 2 + (1 + 10 * 31)


def test_secret_scan_is_linear_in_shared_nodes() -> None:
    """40 levels of a node shared twice: 2^40 paths, 40 distinct nodes."""
    node = YamlMap({"token_env": "X"})
    for _ in range(40):
        pair = YamlList([node, node])
        node = YamlMap({"p": pair})
        node.marks["p"] = (1, 1, 1, 1)
    start = time.monotonic()
    errors: list[ConfigError] = []
    _check_secrets(node, errors)
    assert errors == [] and time.monotonic() - start < 0.5
