"""``max_input_tokens``: over-limit cases are listed before any call and never sent."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from safety_harness import write_project

from llmeval.config.project import load_project
from llmeval.engine.plan import build_plan
from llmeval.engine.session import RunConfig, Selection, execute

APP = """\
def respond(prompt):
    with open("calls.log", "a") as fh:  # the target runs in a worker process: count on disk
        fh.write("call\\n")
    return "ok"
"""
SETTINGS = """\
models:
  small: {provider: python, target: apps/rec.py:respond, max_input_tokens: 50}
  roomy: {provider: python, target: apps/rec.py:respond}
defaults: {models: [small]}
"""
LONG = ("word " * 400).strip()
SUITE = f"""\
name: s
prompt: p@v1
models: [small, roomy]
cases:
  - id: short
    vars: {{message: "hello"}}
  - id: long
    vars: {{message: "{LONG}"}}
"""


@pytest.fixture
def project_dir(tmp_path: Path) -> Path:
    root = write_project(tmp_path, SETTINGS, SUITE)
    (root / "apps").mkdir()
    (root / "apps" / "rec.py").write_text(APP, encoding="utf-8")
    return root


def test_plan_marks_over_limit_items_per_model(project_dir: Path) -> None:
    plan = build_plan(load_project(project_dir))
    over = plan.over_limit
    assert [(i.case.id, i.model.alias) for i in over] == [("long", "small")]
    assert over[0].over_limit > 50
    assert len(plan.items) == 4  # still planned: the run journals it as an error


def test_run_journals_input_too_long_without_calling(project_dir: Path) -> None:
    report = execute(load_project(project_dir), RunConfig(Selection()), handle_signals=False)
    by_key = {(r.case_id, r.model): r for r in report.results}
    err = by_key[("long", "small")]
    assert err.status == "error" and err.error is not None
    assert err.error.kind == "input_too_long"
    assert "over max_input_tokens 50 of model 'small'; not sent" in err.error.message
    assert by_key[("long", "roomy")].status == "pass"
    calls = (project_dir / "calls.log").read_text().splitlines()
    assert len(calls) == 3  # short x2, long on the roomy model only
    assert report.manifest["counts"]["input_too_long"] == 1


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmeval", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_validate_and_dry_run_list_them(project_dir: Path) -> None:
    proc = _cli(project_dir, "validate")
    assert proc.returncode == 0, proc.stderr
    warn = [line for line in proc.stderr.splitlines() if "max_input_tokens" in line]
    assert len(warn) == 1
    assert warn[0].startswith("warning: suites/s.yaml:")
    assert "case 'long'" in warn[0] and "model 'small'" in warn[0] and "not be sent" in warn[0]
    proc = _cli(project_dir, "run", "--dry-run", "--json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)["over_limit"]
    assert len(listed) == 1 and "case 'long'" in listed[0]
    proc = _cli(project_dir, "run", "--dry-run")
    assert "input too long" in proc.stdout and "case 'long'" in proc.stdout
