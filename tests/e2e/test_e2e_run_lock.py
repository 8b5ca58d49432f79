"""Two processes on one run: the second ``--resume`` is refused (exit 4, naming the run)
while the first runs; after a ``kill -9`` the run is free to resume at once."""

from __future__ import annotations

import signal

import pytest
from e2e_project import keys_once, make_project, openai_model
from fakeserver import FakeLLMServer


@pytest.fixture
def server():
    with FakeLLMServer(latency_ms=300) as srv:
        yield srv


def test_a_concurrent_resume_is_refused_and_a_killed_run_resumes(server, tmp_path) -> None:
    project = make_project(
        tmp_path, {"oa": openai_model(server.openai_base_url)}, n_cases=40, run={"concurrency": 2}
    )
    first = project.start("run", "--run-id", "r1", "--no-report", tag="first")
    project.wait_for_lines("r1", 2, first.proc)
    refused = project.run("run", "--resume", "r1", "--no-report")
    assert refused.returncode == 4, refused.stderr
    assert "run 'r1' is in use by another llmeval process" in refused.stderr
    assert f"pid {first.proc.pid}" in refused.stderr
    first.signal(signal.SIGKILL)
    first.wait()

    second = project.start("run", "--resume", "r1", "--no-report", tag="second")
    project.wait_for_lines("r1", len(project.journal("r1")) + 1, second.proc)
    third = project.run("run", "--resume", "r1", "--no-report")
    assert third.returncode == 4 and "in use" in third.stderr
    code, _, err = second.wait()
    assert code == 0, err
    assert keys_once(project.journal("r1")) == {(c, "oa"): 1 for c in project.cases}
