"""The README's Python API examples run, as written, against the bundled project."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, copy_project


def _python_blocks() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    return copy_project(REPO, tmp_path / "bundled")


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "CI" and not k.endswith("_API_KEY")}


def test_the_readme_has_the_two_examples() -> None:
    blocks = _python_blocks()
    assert len(blocks) == 2
    assert "llmeval.run(" in blocks[0] and "assert_suite_passes" in blocks[1]


def test_the_api_example_runs(bundled: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", _python_blocks()[0]],
        cwd=bundled,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert "support-faq [faq-bot, support@v2]" in out.stdout or "PASSED" in out.stdout
    assert "'regressed'" in out.stdout  # the comparison's counts
    assert not (bundled / ".llmeval" / "runs").exists()  # write=False everywhere


def test_the_pytest_example_passes_under_pytest(bundled: Path) -> None:
    (bundled / "test_llm_suites.py").write_text(_python_blocks()[1], encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_llm_suites.py"],
        cwd=bundled,
        capture_output=True,
        text=True,
        timeout=300,
        env=_env(),
        check=False,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "2 passed" in out.stdout
