"""Every kind of bad input stops `llmeval run` and `llmeval validate` with exit 4,
one `file:line:col: message` line per problem, no traceback and nothing written."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from test_cli_e2e import llmeval

PROMPT = "user: 'Q: {{ question }}'\n"

BAD = {
    "yaml syntax": (
        "prompt: support\ncases:\n  - id: a\n   vars: {question: q}\n",
        {},
        "suites/s.yaml:4:",
    ),
    "unknown field": ("promt: support\ncases: [{vars: {question: q}}]\n", {}, "suites/s.yaml:1:1:"),
    "unknown assertion type": (
        "prompt: support\ncases:\n  - vars: {question: q}\n    assert:\n      - type: icontian\n        value: x\n",
        {},
        "suites/s.yaml:5:",
    ),
    "missing template variable": (
        "prompt: support\ncases:\n  - id: nope\n    vars: {questin: q}\n",
        {},
        "suites/s.yaml:3:",
    ),
    "missing prompt version": (
        "prompt: support@v9\ncases: [{vars: {question: q}}]\n",
        {},
        "suites/s.yaml:1:",
    ),
    "bad regex": (
        "prompt: support\ncases:\n  - vars: {question: q}\n    assert:\n      - type: regex\n        value: '(x'\n",
        {},
        "suites/s.yaml:6:",
    ),
    "uncompilable json schema": (
        "prompt: support\ncases:\n  - vars: {question: q}\n    assert:\n      - type: is-json\n        value: {type: nope}\n",
        {},
        "suites/s.yaml:6:",
    ),
    "dataset missing": ("prompt: support\ndataset: data/none.csv\n", {}, "suites/s.yaml:2:"),
    "dataset malformed": (
        "prompt: support\ndataset: data/rows.jsonl\n",
        {"suites/data/rows.jsonl": '{"question": "a"}\n{"question": \n'},
        "suites/data/rows.jsonl:2:",
    ),
    "duplicate case id": (
        "prompt: support\ncases:\n  - id: a\n    vars: {question: q}\n  - id: a\n    vars: {question: r}\n",
        {},
        "suites/s.yaml:5:",
    ),
    "path outside the project": (
        "prompt: support\ndataset: ../../../etc/passwd\n",
        {},
        "suites/s.yaml:2:",
    ),
    "duplicate yaml key": (
        "prompt: support\nprompt: support\ncases: [{vars: {question: q}}]\n",
        {},
        "suites/s.yaml:2:",
    ),
}


@pytest.mark.parametrize("kind", list(BAD))
def test_bad_input_exit_4_located_nothing_written(tmp_path: Path, kind: str):
    suite, extra, where = BAD[kind]
    root = tmp_path / "p"
    (root / "prompts" / "support").mkdir(parents=True)
    (root / "prompts" / "support" / "v1.yaml").write_text(PROMPT)
    (root / "suites").mkdir()
    (root / "llmeval.yaml").write_text("defaults: {models: [echo]}\n")
    (root / "suites" / "s.yaml").write_text(textwrap.dedent(suite))
    for rel, text in extra.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for cmd in (["run"], ["validate"]):
        out = llmeval(*cmd, cwd=root)
        assert out.returncode == 4, (cmd, out.stdout, out.stderr)
        assert "Traceback" not in out.stderr
        assert any(ln.startswith(where) for ln in out.stderr.splitlines()), out.stderr
    assert not (root / ".llmeval").exists() and not (root / "reports").exists()
