"""Two ``llmeval run`` processes on one cache directory: every request reaches the
server once (a cross-process claim on the cache key), and both runs are complete."""

from __future__ import annotations

import pytest
from e2e_project import keys_once, make_project, ok_cases, openai_model
from fakeserver import FakeLLMServer


@pytest.fixture
def server():
    with FakeLLMServer(latency_ms=150) as srv:  # slow enough for the two runs to overlap
        yield srv


def test_two_processes_on_one_cache_send_each_request_once(server, tmp_path) -> None:
    n = 16
    project = make_project(
        tmp_path, {"oa": openai_model(server.openai_base_url)}, n_cases=n, run={"concurrency": 8}
    )
    a = project.start("run", "--run-id", "a", "--no-report", tag="a")
    b = project.start("run", "--run-id", "b", "--no-report", tag="b")
    code_a, _, err_a = a.wait()
    code_b, _, err_b = b.wait()
    assert (code_a, code_b) == (0, 0), err_a + err_b
    per_case = ok_cases(server)
    assert set(per_case) == set(project.cases)
    assert max(per_case.values()) == 1, per_case  # no request paid twice
    assert server.count() == n
    for run_id in ("a", "b"):
        lines = project.journal(run_id)
        assert keys_once(lines) == {(c, "oa"): 1 for c in project.cases}
        assert all(line["status"] == "pass" for line in lines)
    # between them the two runs paid for each answer once (how they split it is timing)
    shared = [sum(not line["cached"] for line in project.journal(r)) for r in ("a", "b")]
    assert sum(shared) == n, shared
