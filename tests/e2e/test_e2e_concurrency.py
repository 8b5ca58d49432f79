"""Two ``llmeval run`` processes at once on one project and one cache."""

from __future__ import annotations

import pytest
from e2e_project import keys_once, make_project, ok_cases, openai_model, prompt_of
from fakeserver import FakeLLMServer


@pytest.fixture
def server():
    with FakeLLMServer(latency_ms=30) as srv:
        yield srv


def test_two_processes_share_one_cache(server, tmp_path) -> None:
    project = make_project(tmp_path, {"oa": openai_model(server.openai_base_url)}, n_cases=24)
    a = project.start("run", "--run-id", "a", "--no-report", tag="a")
    b = project.start("run", "--run-id", "b", "--no-report", tag="b")
    for bg in (a, b):
        code, out, err = bg.wait()
        assert code == 0, out + err
    per_case = ok_cases(server)
    assert set(per_case) == set(project.cases)
    assert max(per_case.values()) <= 2
    for run_id in ("a", "b"):
        lines = project.journal(run_id)
        assert keys_once(lines) == {(c, "oa"): 1 for c in project.cases}
        assert all(line["output"] == prompt_of(line["case_id"]) for line in lines)

    # whatever the interleaving, the shared cache ends complete and readable
    before = server.count()
    third = project.run("run", "--run-id", "c", "--no-report")
    assert third.returncode == 0, third.stderr
    assert server.count() == before
    assert all(line["cached"] for line in project.journal("c"))
