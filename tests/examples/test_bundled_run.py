"""The README's first command on the bundled project: offline, gate passes, and the
engine's verdicts agree with the independent oracle case by case."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from examples_oracle import EXPECTED_FAILURES, ROOT, SCAFFOLD, load_yaml, run_suite, target


def _copy_project(src: Path, dest: Path) -> Path:
    for name in ("llmeval.yaml", "apps", "prompts", "suites"):
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif (src / name).exists():
            shutil.copy(src / name, dest / name)
    return dest


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # as the README's first command runs: locally (under CI the bundled suites' judge
    # assertions, skipped for want of a judge, would rightly make the run incomplete)
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "CI"}
    return subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "--json", "--no-report", "-q", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


@pytest.fixture(scope="module")
def bundled(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    project = _copy_project(ROOT, tmp_path_factory.mktemp("bundled"))
    return _run(project), project


def test_bundled_run_exits_0_with_only_the_documented_failures(bundled) -> None:
    proc, _ = bundled
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads(proc.stdout)
    failed = {g["suite"]: set(g["failed_cases"]) for g in summary["summary"]["groups"]}
    # the security suite runs against the hardened reference app: no failures; the agent
    # suite's rule-based planner has four known weaknesses (tests/traces/test_agent_pack.py);
    # the tool loop and conversation suites fail one honest case each (their descriptions)
    agent = {
        "status-lowercase-id",
        "money-back-outside-window",
        "money-back-eligible",
        "status-and-policy-in-one-message",
    }
    assert failed == {
        **{n: set(c) for n, c in EXPECTED_FAILURES.items()},
        "security": set(),
        "agent-support": agent,
        "tool-calling": {"id-without-dash"},
        "conversation": {"corrected-order"},
    }
    for group in summary["summary"]["groups"]:
        assert group["errors"] == 0 and group["skipped"] == 0, group["suite"]


def test_engine_assertion_verdicts_match_the_oracle(bundled) -> None:
    _, project = bundled
    journal = next((project / ".llmeval" / "runs").glob("*/results.jsonl"))
    engine = {}
    for line in journal.read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        engine[(rec["suite"], rec["case_id"])] = [
            (a["type"], a["passed"]) for a in rec["assertions"]
        ]
    settings = load_yaml(ROOT / "llmeval.yaml")
    for name in EXPECTED_FAILURES:
        suite = load_yaml(ROOT / "suites" / f"{name}.yaml")
        app = target(ROOT, settings["models"][suite["models"][0]]["target"])
        for outcome in run_suite(suite, app):
            got = engine[(name, outcome.case.id)]
            # the oracle skips judge assertions (None); the engine records them unscored
            want = [(t, v) for t, v in outcome.verdicts]
            assert [t for t, _ in got] == [t for t, _ in want], outcome.case.id
            assert all(w is None or g == w for (_, g), (_, w) in zip(got, want, strict=True)), (
                outcome.case.id,
                got,
                want,
            )


def test_scaffold_project_runs_green(tmp_path: Path) -> None:
    proc = _run(_copy_project(SCAFFOLD, tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    groups = json.loads(proc.stdout)["summary"]["groups"]
    assert [(g["passed"], g["failed"]) for g in groups] == [(5, 0)]
