"""Every kind of bad input is reported as file:line:col, all at once, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from config_support import Write

from llmeval.config.project import load_project
from llmeval.errors import ConfigErrors, SecurityError

FILES = {
    "prompts/support/v1.yaml": "user: 'Q: {{ question }}'\n",
    "prompts/support/v2.yaml": "user: 'Q: {{ question }}'\n",
}


def _errors(root: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_project(root)
    return [str(e) for e in info.value.errors]


def _suite(write: Write, text: str, **more: str) -> Path:
    return write({**FILES, "suites/s.yaml": text, **more})


CASES = {
    "yaml syntax": (
        """
        prompt: support
        cases:
          - id: a
           vars: {question: q}
        """,
        "suites/s.yaml:4:4: YAML syntax error: ",
    ),
    "duplicate yaml key": (
        """
        prompt: support
        cases:
          - id: a
            vars: {question: q}
            id: b
        """,
        "suites/s.yaml:5:5: duplicate key 'id'",
    ),
    "unknown field": (
        """
        promt: support
        cases: [{vars: {question: q}}]
        """,
        "suites/s.yaml:1:1: unknown field 'promt' (did you mean 'prompt'?)",
    ),
    "unknown case field": (
        """
        prompt: support
        cases:
          - id: a
            var: {question: q}
        """,
        "suites/s.yaml:4:5: unknown field 'var' (did you mean 'vars'?)",
    ),
    "unknown assertion type": (
        """
        prompt: support
        cases:
          - vars: {question: q}
            assert:
              - type: icontain
                value: x
        """,
        "suites/s.yaml:5:15: unknown assertion type 'icontain' (did you mean 'icontains'?)",
    ),
    "typo in an assertion key": (
        """
        prompt: support
        cases:
          - vars: {question: q}
            assert:
              - type: latency
                treshold: 5
        """,
        "suites/s.yaml:6:9: unknown field 'treshold' (did you mean 'threshold'?)",
    ),
    "missing value": (
        """
        prompt: support
        cases:
          - vars: {question: q}
            assert:
              - type: test-needs-value
        """,
        "suites/s.yaml:5:9: assertion 'test-needs-value' needs a 'value'",
    ),
    "missing template variable": (
        """
        prompt: support@v1
        cases:
          - id: ok
            vars: {question: q}
          - id: nope
            vars: {questin: q}
        """,
        "suites/s.yaml:5:5: case 'nope' is missing variable 'question' used by prompt support@v1",
    ),
    "missing input for a suite without prompt": (
        """
        cases:
          - id: a
            vars: {question: q}
        """,
        "suites/s.yaml:2:5: case 'a' has no 'input' var",
    ),
    "missing prompt version": (
        """
        prompt: support@v7
        cases: [{vars: {question: q}}]
        """,
        "suites/s.yaml:1:9: prompt 'support' has no version v7 (available: v1, v2)",
    ),
    "bad regex": (
        """
        prompt: support
        cases:
          - vars: {question: q}
            assert:
              - type: regex
                value: '(unclosed'
        """,
        "suites/s.yaml:6:16: invalid regex",
    ),
    "uncompilable json schema": (
        """
        prompt: support
        defaults:
          assert:
            - type: is-json
              value: {type: nope}
        cases: [{vars: {question: q}}]
        """,
        "suites/s.yaml:5:14: invalid JSON schema",
    ),
    "duplicate case id": (
        """
        prompt: support
        cases:
          - id: a
            vars: {question: q}
          - id: a
            vars: {question: r}
        """,
        "suites/s.yaml:5:5: duplicate case id 'a' (first used at suites/s.yaml:3:5)",
    ),
    "bad field type": (
        """
        prompt: support
        cases:
          - vars: {question: q}
            threshold: high
        """,
        "suites/s.yaml:4:16: 'threshold' should be a number, got 'high'",
    ),
    "both prompt and prompts": (
        """
        prompt: support
        prompts: [support@v1]
        cases: [{vars: {question: q}}]
        """,
        "suites/s.yaml:2:1: use 'prompt' or 'prompts', not both",
    ),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_bad_suite_is_located(write: Write, kind: str) -> None:
    text, expected = CASES[kind]
    got = _errors(_suite(write, text))
    assert got[0].startswith(expected), got
    assert len(got) == 1, got


def test_dataset_missing(write: Write) -> None:
    got = _errors(_suite(write, "prompt: support\ndataset: data/nope.csv\n"))
    assert got == [
        "suites/s.yaml:2:10: dataset 'data/nope.csv' not found "
        "(tried suites/data/nope.csv, data/nope.csv)"
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "d.jsonl",
            '{"question": "a"}\n{"question": "b",\n',
            "suites/d.jsonl:2:18: malformed JSON: ",
        ),
        (
            "d.jsonl",
            '{"question": "a"}\n\n[1, 2]\n',
            "suites/d.jsonl:3:1: each line should be a JSON object",
        ),
        (
            "d.csv",
            "question,expected\na,b\nc,d,e\n",
            "suites/d.csv:3:1: row has 3 fields but the header has 2",
        ),
        ("d.csv", 'question\n"open\n', "suites/d.csv:2:1: malformed CSV: unexpected end of data"),
        ("d.csv", "", "suites/d.csv:1:1: the CSV file is empty"),
        ("d.txt", "x", "suites/d.txt:1:1: a dataset should be a .csv, .jsonl or .yaml file"),
    ],
)
def test_dataset_malformed_points_at_the_dataset_line(
    write: Write, name: str, content: str, expected: str
) -> None:
    root = _suite(write, f"prompt: support\ndataset: {name}\n", **{f"suites/{name}": content})
    got = _errors(root)
    assert got[0].startswith(expected), got


def test_dataset_row_missing_variable_points_at_the_row(write: Write) -> None:
    root = _suite(
        write, "prompt: support\ndataset: d.csv\n", **{"suites/d.csv": "question\nq\n\nx\n"}
    )
    root.joinpath("suites/d.csv").write_text("question,other\nq,1\n,2\n")  # empty cell is a value
    assert load_project(root).suites["s"].cases[1].vars == {"question": "", "other": "2"}
    # a column no row has is one problem, at the header, not one per row
    root.joinpath("suites/d.csv").write_text("questoin,other\n1\n2\n".replace("1\n2", "1,a\n2,b"))
    assert _errors(root) == [
        "suites/d.csv:1:1: no column 'question' in this dataset (prompt support@v2 uses it)"
        " (did you mean 'questoin'?)"
    ]
    # a row that lacks what the others have is that row's problem
    root.joinpath("suites/s.yaml").write_text("prompt: support\ndataset: d.jsonl\n")
    root.joinpath("suites/d.jsonl").write_text('{"question": "q"}\n{"other": 1}\n')
    (got,) = _errors(root)  # (the case id a row without one gets is not this test's business)
    assert got.startswith("suites/d.jsonl:2:1: case '")
    assert got.endswith("' is missing variable 'question' used by prompt support@v2")


@pytest.mark.parametrize("target", ["../outside.csv", "/etc/hostname", "../../nope.csv"])
def test_path_outside_the_project(write: Write, target: str) -> None:
    root = _suite(write, f"prompt: support\ndataset: {target}\n")
    (root.parent / "outside.csv").write_text("question\nq\n")
    with pytest.raises(ConfigErrors) as info:
        load_project(root)
    (err,) = info.value.errors
    assert isinstance(err, SecurityError)
    assert str(err) == f"suites/s.yaml:2:10: dataset '{target}' is a path outside the project"


def test_python_target_outside_the_project(write: Write) -> None:
    root = _suite(
        write, "prompt: support\nmodels: ['python:../x.py:f']\ncases: [{vars: {question: q}}]\n"
    )
    got = _errors(root)
    assert got == ["suites/s.yaml:2:10: python target '../x.py' is a path outside the project"]


def test_all_errors_of_all_files_at_once(write: Write) -> None:
    root = write(
        {
            **FILES,
            "llmeval.yaml": "run: {concurency: 2}\n",
            "prompts/broken/v1.yaml": "user: '{{ oops'\n",
            "suites/a.yaml": """
                prompt: support@v9
                cases:
                  - id: x
                    vars: {question: q}
                  - id: x
                    vars: {question: q}
            """,
            "suites/b.yaml": "name: b\nname: c\n",
            "suites/d.yaml": "promt: x\ncases:\n  - {id: a, vars: {input: i}}\n  - id: a\n",
            "suites/c.yaml": (
                "prompt: support\ncases:\n  - vars: {question: q}\n    assert:\n"
                "      - {type: regex, value: '['}\n      - {type: nosuch}\n  - vars: {}\n"
            ),
        }
    )
    got = _errors(root)
    places = [g.split(": ", 1)[0] for g in got]
    assert places == [
        "llmeval.yaml:1:7",
        "prompts/broken/v1.yaml:1:7",
        "suites/a.yaml:1:9",
        "suites/a.yaml:5:5",
        "suites/b.yaml:2:1",
        "suites/c.yaml:5:30",
        "suites/c.yaml:6:16",
        "suites/c.yaml:7:5",
        "suites/d.yaml:1:1",
        "suites/d.yaml:4:5",
    ], got


def test_real_regex_metric_reports_at_the_value(write: Write) -> None:
    pytest.importorskip("llmeval.metrics.text")
    from llmeval.metrics import registry

    assert registry.get("regex").factory.__module__.startswith("llmeval.metrics")
    text = """
        prompt: support
        cases:
          - vars: {question: q}
            assert:
              - {type: regex, value: 'a(b'}
    """
    got = _errors(_suite(write, text))
    assert got[0].startswith("suites/s.yaml:5:30: invalid regex")


def test_test_doubles_when_metrics_are_missing(
    write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plumbing works with a bare registry holding only the test doubles."""
    from config_support import DOUBLES

    from llmeval.metrics import registry

    monkeypatch.setattr(registry, "_METRICS", dict(DOUBLES))
    monkeypatch.setattr(registry, "_loaded", True)
    text = """
        prompt: support
        cases:
          - vars: {question: q}
            assert:
              - {type: regex, value: '('}
              - {type: is-json, value: {type: 3}}
    """
    got = _errors(_suite(write, text))
    assert [g.split(": ", 1)[0] for g in got] == ["suites/s.yaml:5:30", "suites/s.yaml:6:32"]
    assert "invalid regex" in got[0] and "invalid JSON schema" in got[1]
