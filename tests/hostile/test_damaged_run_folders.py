"""A run folder from elsewhere (a CI artifact, a hand edit, a full disk) is input like
any other: a damaged run.json makes every command that reads it say which file is
wrong (exit 4), never an internal error; ``runs`` lists the others with a note."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DAMAGE = {
    "not an object": "[1]",
    "a string": '"x"',
    "summary a number": '{"summary": 5}',
    "suites a string": '{"suites": "x", "models": [1]}',
    "fields of the wrong type": '{"run_id": 5, "status": [], "counts": "x", "verdict": 7}',
    "a suite not an object": '{"suites": {"a": 1}}',
    "summary groups a number": '{"summary": {"groups": 5}}',
    "summary totals a number": '{"summary": {"totals": 5, "groups": [1]}}',
    "not JSON": '{"run_id": "x", ',
    "not UTF-8": b'{"run_id": "\xff\xfe"}',
}


def llmeval(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": "1", "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "llmeval", *args], cwd=root, env=env, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("damaged") / "p"
    assert llmeval(root.parent, "init", str(root)).returncode == 0
    for run_id in ("good", "other"):
        out = llmeval(root, "run", "--run-id", run_id, "--no-report")
        assert out.returncode in (0, 1), out.stdout + out.stderr
    return root


PLAN_DAMAGE = {
    "plan not an object": "[1]",
    "plan keys a number": '{"keys": 5}',
    "plan key too short": '{"keys": [["s", "c"]]}',
    "plan key of numbers": '{"keys": [[1, 2, 3, 4, 5]]}',
}


@pytest.mark.parametrize("damage", list(DAMAGE), ids=list(DAMAGE))
def test_every_reader_of_a_damaged_run_json_says_which_file(
    project: Path, tmp_path: Path, damage: str
) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(project / ".llmeval" / "runs" / "other", bad)
    text = DAMAGE[damage]
    (bad / "run.json").write_bytes(text if isinstance(text, bytes) else text.encode())
    for args in (
        ("diff", "good", str(bad)),
        ("diff", str(bad), "good"),
        ("report", str(bad), "--out", str(tmp_path / "r.html")),
        ("export", str(bad)),
        ("merge", str(bad), "--run-id", "m"),
    ):
        out = llmeval(project, *args)
        said = out.stdout + out.stderr
        assert out.returncode == 4, (args, said)
        assert "internal error" not in said and "Traceback" not in said, (args, said)
        assert str(bad) in "".join(out.stderr.split()), (args, said)  # wrapped: rejoin


@pytest.mark.parametrize("damage", list(PLAN_DAMAGE), ids=list(PLAN_DAMAGE))
def test_resuming_with_a_damaged_plan_json_says_which_file(project: Path, damage: str) -> None:
    runs = project / ".llmeval" / "runs"
    shutil.copytree(runs / "other", runs / "planbad")
    try:
        (runs / "planbad" / "plan.json").write_text(PLAN_DAMAGE[damage])
        out = llmeval(project, "run", "--resume", "planbad", "--no-report")
        said = out.stdout + out.stderr
        assert out.returncode == 4, said
        assert "internal error" not in said and "plan.json" in said, said
    finally:
        shutil.rmtree(runs / "planbad")


def test_runs_lists_the_others_when_one_run_json_is_damaged(project: Path) -> None:
    runs = project / ".llmeval" / "runs"
    shutil.copytree(runs / "other", runs / "broken")
    (runs / "broken" / "run.json").write_text('{"summary": 5}')
    try:
        out = llmeval(project, "runs")
        assert out.returncode == 0, out.stdout + out.stderr
        assert "good" in out.stdout and "broken" in out.stdout
        assert "note:" in out.stderr and "run.json" in out.stderr
    finally:
        shutil.rmtree(runs / "broken")


def test_a_damaged_response_cache_is_one_error_before_any_call(tmp_path: Path) -> None:
    """A cache file that is not a database (a bad copy, a full disk) stops a run of an
    API model at the start with the folder named (exit 4); before, every case errored
    (exit 1, the code of a regression). The model's address is a closed local port:
    nothing is sent either way."""
    root = tmp_path / "p"
    (root / "suites").mkdir(parents=True)
    (root / "llmeval.yaml").write_text(
        "models:\n  api:\n    provider: openai\n    model: gpt-4o-mini\n"
        "    base_url: http://127.0.0.1:9/v1\ndefaults:\n  models: [api]\n"
    )
    (root / "suites" / "qa.yaml").write_text(
        "name: qa\ncases:\n  - id: a\n    messages: [{role: user, content: hi}]\n"
    )
    cache = root / ".llmeval" / "cache"
    cache.mkdir(parents=True)
    (cache / "cache.db").write_bytes(b"not a database" * 100)
    env_key = {"OPENAI_API_KEY": "sk-test-not-a-real-key"}
    for args in (("run", "--no-report"), ("cache", "stats")):
        out = subprocess.run(
            [sys.executable, "-m", "llmeval", *args], cwd=root, capture_output=True,
            text=True, timeout=120, env={**os.environ, "CI": "1", **env_key},
        )  # fmt: skip
        said = out.stdout + out.stderr
        assert out.returncode == 4, (args, said)
        assert "response cache is damaged" in said and "Traceback" not in said, said
