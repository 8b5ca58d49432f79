"""`llmeval init --with agent` ships copies of the bundled agent, its prompt and its suite;
they must not drift from the repository's own, and the pack runs offline as written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "llmeval" / "scaffold" / "agent"


@pytest.mark.parametrize("rel", ["apps/agent/support_agent.py", "prompts/support-agent/v1.yaml"])
def test_pack_files_match_the_bundled_ones(rel: str) -> None:
    assert (PACK / rel).read_text() == (REPO / rel).read_text()


def test_pack_suite_is_the_bundled_one_with_an_inline_model() -> None:
    bundled = (REPO / "suites" / "agent-support.yaml").read_text()
    inline = bundled.replace(
        "models: [support-agent]", 'models: ["python:apps/agent/support_agent.py:run"]'
    )
    assert inline != bundled
    assert (PACK / "suites" / "agent-support.yaml").read_text() == inline


def test_init_with_agent_runs_offline_with_the_documented_failures(tmp_path: Path) -> None:
    init = [sys.executable, "-m", "llmeval", "init", str(tmp_path), "--with", "agent"]
    assert subprocess.run(init, capture_output=True, text=True).returncode == 0
    proc = subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "agent-support", "--json", "--no-report", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (group,) = json.loads(proc.stdout)["summary"]["groups"]
    assert set(group["failed_cases"]) == {
        "status-lowercase-id",
        "money-back-outside-window",
        "money-back-eligible",
        "status-and-policy-in-one-message",
    }
    assert group["errors"] == 0 and group["skipped"] == 0
