"""The smaller commands as a user types them: init packs, runs, prompts, schema, judge."""

from __future__ import annotations

import json
from pathlib import Path

from test_cli_e2e import llmeval


def test_init_with_security_adds_only_the_pack_to_an_existing_project(tmp_path: Path):
    assert llmeval("init", "p", cwd=tmp_path).returncode == 0
    before = (tmp_path / "p" / "llmeval.yaml").read_text()
    out = llmeval("init", "p", "--with", "security", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "p" / "suites" / "security.yaml").exists()
    assert (tmp_path / "p" / "llmeval.yaml").read_text() == before
    assert (tmp_path / "p" / ".gitignore").read_text().count(".llmeval/") >= 1
    assert llmeval("init", "q", "--with", "nope", cwd=tmp_path).returncode == 4


def test_runs_lists_newest_last_and_says_when_empty(tmp_path: Path):
    assert llmeval("init", "p", cwd=tmp_path).returncode == 0
    proj = tmp_path / "p"
    assert "no runs yet" in llmeval("runs", cwd=proj).stdout
    assert llmeval("run", "--run-id", "zzz-first", "--no-report", cwd=proj).returncode == 0
    assert llmeval("run", "--run-id", "aaa-second", "--no-report", cwd=proj).returncode == 0
    lines = llmeval("runs", cwd=proj).stdout.splitlines()
    assert lines[0].startswith("zzz-first") and lines[-1].startswith("aaa-second")
    assert "gate pass" in lines[-1]


def test_prompts_diff_of_a_bare_name_is_latest_against_previous(tmp_path: Path):
    assert llmeval("init", "p", cwd=tmp_path).returncode == 0
    proj = tmp_path / "p"
    folder = next((proj / "prompts").iterdir())
    v1 = (folder / "v1.yaml").read_text()
    (folder / "v2.yaml").write_text(v1.replace("{{", "Please: {{", 1))
    out = llmeval("prompts", "diff", folder.name, cwd=proj)
    assert out.returncode == 0
    assert f"--- {folder.name}@v1" in out.stdout and f"+++ {folder.name}@v2" in out.stdout
    assert "+" in out.stdout and "Please:" in out.stdout


def test_schema_lists_assertion_types_and_config(tmp_path: Path):
    suite = json.loads(llmeval("schema", cwd=tmp_path).stdout)
    types = suite["$defs"]["AssertionConfig"]["properties"]["type"]["enum"]
    assert "icontains" in types and "not-icontains" in types and "llm-rubric" in types
    config = json.loads(llmeval("schema", "config", cwd=tmp_path).stdout)
    assert "models" in config["properties"]
    assert llmeval("schema", "nope", cwd=tmp_path).returncode == 4


def test_judge_calibrate_without_a_judge_is_one_clear_line(tmp_path: Path):
    assert llmeval("init", "p", cwd=tmp_path).returncode == 0
    labels = tmp_path / "labels.jsonl"
    labels.write_text(json.dumps({"output": "hi", "rubric": "is polite", "label": "pass"}) + "\n")
    out = llmeval("judge", "calibrate", str(labels), cwd=tmp_path / "p")
    assert out.returncode == 4
    assert "no judge model" in out.stderr and "Traceback" not in out.stderr


def test_validate_imports_python_targets(tmp_path: Path):
    assert llmeval("init", "p", cwd=tmp_path).returncode == 0
    proj = tmp_path / "p"
    app = next((proj / "apps").glob("*.py"))
    app.write_text("def answer(vars:\n")
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4
    rel = app.relative_to(proj).as_posix()
    assert f"{rel}:1:" in out.stderr and "syntax error" in out.stderr


def test_diff_of_runs_with_no_case_in_common_fails_the_gate(tmp_path: Path):
    # the same verdict `run --baseline` gives: a gate that compared nothing must not pass
    assert llmeval("init", "p", cwd=tmp_path).returncode == 0
    proj = tmp_path / "p"
    assert llmeval("run", "--run-id", "a", "--no-report", cwd=proj).returncode == 0
    assert llmeval("run", "-m", "echo", "--run-id", "b", "--no-report", cwd=proj).returncode in (
        0,
        1,
    )
    out = llmeval("diff", "a", "b", cwd=proj)
    assert out.returncode == 1 and "shares no case" in out.stdout
