"""llmeval.testing.assert_suite_passes: a suite as one pytest assertion."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import break_app

from llmeval.testing import assert_suite_passes


def test_passing_suite_returns_its_result_and_writes_nothing(project: Path) -> None:
    result = assert_suite_passes("capitals", project=project)
    assert result.passed and len(result.results) == 5
    assert not (project / ".llmeval" / "runs").exists()


def test_failing_suite_raises_with_the_reasons_the_cli_prints(project: Path) -> None:
    break_app(project)
    with pytest.raises(AssertionError) as info:
        assert_suite_passes("capitals", project=project)
    message = str(info.value)
    lines = message.splitlines()
    assert lines[0].startswith("FAILED")
    assert "pass rate 60.0% (3/5) below min_pass_rate 100.0%" in message
    cli = subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "capitals", "--no-report", "-q"],
        cwd=project,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "CI"},
        timeout=120,
        check=False,
    )
    assert cli.returncode == 1
    # every reason and note line of the helper's message is one the CLI printed (the
    # console wraps long reasons to the terminal's width: compare the words)
    printed = " ".join(cli.stdout.split())
    assert lines[1:] and all(" ".join(ln.split()) in printed for ln in lines[1:]), (
        lines,
        cli.stdout,
    )


def test_run_kwargs_reach_the_run(project: Path) -> None:
    break_app(project)
    # only the cases the broken app still answers: the suite passes
    result = assert_suite_passes("capitals", project=project, tags=["europe", "asia"])
    assert sorted(r.case_id for r in result.results) == ["france", "japan"]
