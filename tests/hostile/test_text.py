"""llmeval.text: repair where text enters, visible where it is shown, clip."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmeval.store.runs import MAX_RUN_ID, valid_run_id
from llmeval.text import clip, repair, repair_value, visible


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("plain", "plain"),
        ("bad \ud800 half", "bad \ufffd half"),
        ("\udfff", "\ufffd"),
        ("\ud83d\ude00", "\U0001f600"),  # a pair written as two escapes joins
        (b"ok \xff\xfe", "ok \ufffd\ufffd"),
        (b"caf\xc3\xa9", "café"),
    ],
)
def test_repair(raw: str | bytes, want: str) -> None:
    assert repair(raw) == want


def test_repair_keeps_valid_text_identical() -> None:
    s = "déjà vu ☕ \x00 \x1b"
    assert repair(s) is s


def test_repair_value_walks_keys_and_values() -> None:
    got = repair_value({"\ud800k": ["\udc00", 1, {"x": "\ud800"}], "n": None})
    assert got == {"\ufffdk": ["\ufffd", 1, {"x": "\ufffd"}], "n": None}
    json.dumps(got, ensure_ascii=False).encode("utf-8")


@given(st.text())
def test_repaired_text_always_encodes(s: str) -> None:
    repair(s).encode("utf-8")


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        ("a\x1b[31mred", "a\\x1b[31mred"),
        ("x\nPASSED", "x\\x0aPASSED"),
        ("tab\there", "tab\\x09here"),
        ("cr\roverwrite", "cr\\x0doverwrite"),
        ("bell\x07", "bell\\x07"),
        ("c1 \x9b2J", "c1 \\x9b2J"),
        ("rtl \u202egnp", "rtl \\u202egnp"),
        ("zw\u200bsp", "zw\\u200bsp"),
        ("::error::forged", "\\x3a:error::forged"),
        ("café ☕ 日本", "café ☕ 日本"),
        (42, "42"),
    ],
)
def test_visible_one_line(raw: object, want: str) -> None:
    assert visible(raw) == want


def test_visible_multiline_keeps_lines_but_not_commands() -> None:
    text = "line 1\r\n::warning::x\n\tindented\x1b[0m"
    assert visible(text, multiline=True) == "line 1\n\\x3a:warning::x\n\tindented\\x1b[0m"


_UNSAFE = set(range(0x20)) | set(range(0x7F, 0xA0)) | {0x202E, 0x2066, 0x200B, 0x2028, 0xFEFF}


@given(st.text())
def test_visible_leaves_no_control_character(s: str) -> None:
    out = visible(s)
    assert not any(ord(c) in _UNSAFE for c in out)
    assert not out.startswith("::")


def test_clip() -> None:
    assert clip("short", 10) == "short"
    assert clip("x" * 25, 10) == "x" * 10 + "… [+15 chars]"
    assert clip("x" * 25, 10, count=False) == "x" * 9 + "…"


@pytest.mark.parametrize(
    ("run_id", "ok"),
    [
        ("20261127-041233-3f9a", True),
        ("r" * MAX_RUN_ID, True),
        ("r" * (MAX_RUN_ID + 1), False),
        ("r" * 300, False),
        ("", False),
        (".hidden", False),
        ("../x", False),
        ("a/b", False),
    ],
)
def test_run_ids_are_bounded(run_id: str, ok: bool) -> None:
    assert valid_run_id(run_id) is ok
