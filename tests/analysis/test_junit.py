from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from llmeval.domain.record import AssertionResult
from llmeval.report.junit import clean_xml, render_junit

NASTY = 'out <tag attr="x"> & ]]> \x00\x01\x08\x0b\x0c\x1f \ud800 \ufffe ok \U0001f600 \r\n end'


def test_one_testcase_per_result_with_statuses(mk):
    results = [
        mk("a", "pass", latency_ms=1500.0),
        mk(
            "b",
            "fail",
            assertions=(AssertionResult("icontains", "fail", 0.0, reason="missing '30 days'"),),
        ),
        mk("c", "error"),
        mk("d", "skipped"),
        mk("a", "pass", model="m2"),
        mk("e", "pass", suite="t", repeat=0),
        mk("e", "fail", suite="t", repeat=1),
    ]
    root = ET.fromstring(render_junit(results))
    assert root.tag == "testsuites"
    assert {k: root.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
        "tests": "7",
        "failures": "2",
        "errors": "1",
        "skipped": "1",
    }
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"s", "t"}
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert set(cases) == {
        ("s.m", "a [p@v1]"),
        ("s.m", "b [p@v1]"),
        ("s.m", "c [p@v1]"),
        ("s.m", "d [p@v1]"),
        ("s.m2", "a [p@v1]"),
        ("t.m", "e [p@v1] #0"),
        ("t.m", "e [p@v1] #1"),
    }
    assert cases[("s.m", "a [p@v1]")].get("time") == "1.500"
    fail = cases[("s.m", "b [p@v1]")].find("failure")
    assert fail is not None and fail.get("message") == "icontains: missing '30 days'"
    err = cases[("s.m", "c [p@v1]")].find("error")
    assert err is not None and err.get("type") == "transient" and err.get("message") == "HTTP 500"
    assert cases[("s.m", "d [p@v1]")].find("skipped") is not None
    assert cases[("s.m", "a [p@v1]")].find("failure") is None
    assert cases[("t.m", "e [p@v1] #1")].find("failure") is not None


def test_hostile_text_stays_well_formed(mk):
    r = mk(
        f"case {NASTY}",
        "fail",
        suite=f"suite{NASTY}",
        model='m"<>&',
        output=NASTY * 3,
        assertions=(AssertionResult("regex", "fail", 0.0, reason=NASTY),),
    )
    xml = render_junit([r, mk("ok", "error", output=NASTY)])
    root = ET.fromstring(xml)  # parses: nothing invalid got through
    tc = next(c for c in root.iter("testcase") if c.get("classname").startswith("suite"))
    assert tc.get("classname").endswith('.m"<>&')
    out = tc.find("system-out").text
    assert '<tag attr="x"> & ]]>' in out and "\U0001f600" in out
    assert "\x00" not in xml and "\ud800" not in xml and "\ufffe" not in xml


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\tb\nc\rd", "a\tb\nc\rd"),
        ("\x00\x07x", "x"),
        ("\ud83d", ""),
        ("\U0001f600", "\U0001f600"),
    ],
)
def test_clean_xml(text, expected):
    assert clean_xml(text) == expected


def test_long_output_is_truncated(mk):
    root = ET.fromstring(render_junit([mk("a", "pass", output="x" * 50_000)]))
    assert len(next(root.iter("system-out")).text) < 10_100


def test_empty_run_is_valid():
    root = ET.fromstring(render_junit([]))
    assert root.get("tests") == "0"
