"""YAML 1.1 word booleans: promptfoo (js-yaml, YAML 1.2) reads unquoted ``Yes`` / ``no``
/ ``on`` as text. The importer reads them so in every YAML file it opens, warns with
file:line, and writes them quoted; llmeval's own suites keep YAML 1.1 with a warning."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from llmeval.config.project import load_project
from llmeval.importers.promptfoo import convert, write

CONFIG = """\
prompts: ['{{body}} {{flag}} {{short}}']
providers: [echo]
tests:
  - vars: {body: Yes, flag: on, short: y, quoted: 'no', real: true}
  - file://more.yaml
"""
MORE = """\
- vars:
    body: No
    flag: OFF
    short: n
"""


def _src(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "promptfooconfig.yaml").write_text(CONFIG)
    (src / "more.yaml").write_text(MORE)
    return src


def test_word_booleans_are_text_with_a_warning_each(tmp_path: Path) -> None:
    imported = convert(_src(tmp_path) / "promptfooconfig.yaml", offline=True)
    cases = imported.suite["cases"]
    assert [c["vars"]["body"] for c in cases] == ["Yes", "No"]  # more.yaml too
    assert [c["vars"]["flag"] for c in cases] == ["on", "OFF"]
    assert cases[0]["vars"]["real"] is True and cases[0]["vars"]["quoted"] == "no"
    warned = [str(w) for w in imported.notes.warnings]
    assert [w.split(": warning:")[0] for w in warned] == [
        "promptfooconfig.yaml:4",
        "promptfooconfig.yaml:4",
        "more.yaml:2",
        "more.yaml:3",
    ]
    assert "var 'body' is the word 'Yes': read as the text \"Yes\"" in warned[0]
    assert not imported.notes.items  # warnings leave the import complete

    out = tmp_path / "out"
    write(imported, out)
    project = load_project(out)
    got = [c.vars for c in next(iter(project.suites.values())).cases]
    assert [(v["body"], v["flag"], v["short"]) for v in got] == [
        ("Yes", "on", "y"),
        ("No", "OFF", "n"),
    ]
    assert not project.warnings  # written quoted: llmeval reads the same text, silently


def test_cli_prints_the_warnings_and_exits_0(tmp_path: Path) -> None:
    src = _src(tmp_path)
    run = subprocess.run(
        [sys.executable, "-m", "llmeval", "import", "promptfoo", str(src), "-o", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "promptfooconfig.yaml:4: warning: var 'body' is the word 'Yes'" in run.stderr
    assert "more.yaml:2: warning: var 'body' is the word 'No'" in run.stderr


def test_llmeval_suites_keep_yaml_11_and_validate_warns(tmp_path: Path) -> None:
    (tmp_path / "llmeval.yaml").write_text(
        "models: {e: {provider: echo}}\ndefaults: {models: [e]}\n"
    )
    (tmp_path / "suites").mkdir()
    (tmp_path / "suites" / "s.yaml").write_text(textwrap.dedent("""\
        name: s
        cases:
          - id: a
            vars: {input: Yes}
    """))  # fmt: skip
    run = subprocess.run(
        [sys.executable, "-m", "llmeval", "validate"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    shown = run.stdout + run.stderr
    assert "suites/s.yaml:4:" in shown and "var 'input' is the word 'Yes'" in shown
    assert 'quote it ("Yes")' in shown
