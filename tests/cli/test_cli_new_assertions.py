"""The new assertion families end to end: `llmeval validate` locates bad ones
(file:line:col, exit 4, also inside an assert-set), `llmeval run` scores them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from test_cli_e2e import llmeval

PROMPT = "user: '{{ text }}'\n"


def project(tmp_path: Path, suite: str) -> Path:
    root = tmp_path / "p"
    (root / "prompts" / "echoer").mkdir(parents=True)
    (root / "prompts" / "echoer" / "v1.yaml").write_text(PROMPT)
    (root / "suites").mkdir()
    (root / "llmeval.yaml").write_text("defaults: {models: [echo]}\n")
    (root / "suites" / "s.yaml").write_text(textwrap.dedent(suite))
    return root


def test_bad_child_of_an_assert_set_is_located(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """\
        prompt: echoer
        cases:
          - vars: {text: hi}
            assert:
              - type: assert-set
                assert:
                  - type: contains
                    value: hi
                  - type: contians
                    value: x
        """,
    )
    out = llmeval("validate", cwd=root)
    assert out.returncode == 4, out.stderr
    line = next(ln for ln in out.stderr.splitlines() if "contians" in ln)
    assert line.startswith("suites/s.yaml:9:"), line
    assert "did you mean 'contains'" in line


def test_promptfoo_only_type_says_what_to_use(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """\
        prompt: echoer
        cases:
          - vars: {text: hi}
            assert:
              - type: model-graded-factuality
        """,
    )
    out = llmeval("validate", cwd=root)
    assert out.returncode == 4
    assert "suites/s.yaml:5:" in out.stderr and "llmeval's 'factuality'" in out.stderr


def test_javascript_syntax_error_is_located(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """\
        prompt: echoer
        cases:
          - vars: {text: hi}
            assert:
              - type: javascript
                value: "output.("
        """,
    )
    out = llmeval("validate", cwd=root)
    assert out.returncode == 4
    assert any(
        ln.startswith("suites/s.yaml:6:") and "SyntaxError" in ln for ln in out.stderr.splitlines()
    ), out.stderr


def test_run_scores_structure_js_and_sets(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        """\
        prompt: echoer
        cases:
          - id: sql
            vars: {text: "SELECT id, name FROM users"}
            assert:
              - type: is-sql
                value: {allowedTables: ["select::null::users"]}
              - type: javascript
                value: "output.startsWith('SELECT')"
          - id: xml
            vars: {text: "<a><b>1</b></a>"}
            assert:
              - type: is-xml
                value: a.b
              - type: assert-set
                threshold: 0.5
                assert:
                  - {type: contains-xml}
                  - {type: is-sql}
          - id: failing
            vars: {text: "plain words"}
            assert:
              - type: contains-html
        """,
    )
    out = llmeval("run", "--run-id", "r1", cwd=root)
    assert out.returncode == 1, out.stdout + out.stderr  # one case fails
    rows = [
        json.loads(x)
        for x in (root / ".llmeval" / "runs" / "r1" / "results.jsonl").read_text().splitlines()
    ]
    status = {r["case_id"]: r["status"] for r in rows}
    assert status == {"sql": "pass", "xml": "pass", "failing": "fail"}
    xml = next(r for r in rows if r["case_id"] == "xml")
    group = next(a for a in xml["assertions"] if a["type"] == "assert-set")
    assert group["score"] == 0.5 and group["passed"] is True
