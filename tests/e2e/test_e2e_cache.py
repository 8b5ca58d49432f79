"""The response cache through the CLI: hits make no request, replay never calls,
refresh rewrites, failures are never stored."""

from __future__ import annotations

import json

import pytest
from e2e_project import PRICE, keys_once, make_project, ok_cases, openai_model, prompt_of
from fakeserver import FakeLLMServer


@pytest.fixture
def server():
    with FakeLLMServer(latency_ms=2) as srv:
        yield srv


def test_cache_modes_use_replay_off_refresh(server, tmp_path) -> None:
    project = make_project(
        tmp_path, {"oa": openai_model(server.openai_base_url, price=PRICE)}, n_cases=5
    )
    plan = project.run("run", "--dry-run", "--json")  # calls nothing, prices the plan
    assert plan.returncode == 0, plan.stderr
    total = json.loads(plan.stdout)["total"]
    assert (total["items"], total["cached"]) == (5, 0) and total["cost_usd"] > 0
    assert server.count() == 0 and not (tmp_path / ".llmeval" / "runs").exists()

    first = project.run("run", "--run-id", "r1", "--no-report")
    assert first.returncode == 0, first.stderr
    assert server.count() == 5

    # use: a second run is served from the cache, zero requests
    second = project.run("run", "--run-id", "r2", "--no-report")
    assert second.returncode == 0, second.stderr
    assert server.count() == 5
    lines = project.journal("r2")
    assert len(lines) == 5 and all(line["cached"] for line in lines)
    assert all(line["status"] == "pass" for line in lines)
    total = json.loads(project.run("run", "--dry-run", "--json").stdout)["total"]
    assert (total["items"], total["cached"], total["cost_usd"]) == (5, 5, 0)

    # replay with every entry present: exit 0, zero requests
    replay = project.run("run", "--run-id", "r3", "--cache-mode", "replay", "--no-report")
    assert replay.returncode == 0, replay.stderr
    assert server.count() == 5

    # replay with a missing entry: that case is a replay_miss error, exit 3, no call
    project.add_cases(["new1", "new2"])
    miss = project.run("run", "--run-id", "r4", "--cache-mode", "replay", "--no-report")
    assert miss.returncode == 3, miss.stdout + miss.stderr
    assert server.count() == 5
    by_case = {line["case_id"]: line for line in project.journal("r4")}
    assert {c for c, line in by_case.items() if line["status"] == "error"} == {"new1", "new2"}
    assert {by_case[c]["error"]["kind"] for c in ("new1", "new2")} == {"replay_miss"}
    assert all(by_case[c]["cached"] for c in project.cases[:5])
    assert "new1" in miss.stdout  # the failing case ids are listed

    # off: every case is requested again, and nothing is read from the cache
    off = project.run("run", "--run-id", "r5", "--cache-mode", "off", "--no-report")
    assert off.returncode == 0, off.stderr
    assert server.count() == 5 + 7
    assert not any(line["cached"] for line in project.journal("r5"))

    # refresh: calls again and overwrites; a later `use` run sees the new answers
    server.responder = lambda body: "fresh " + body["messages"][-1]["content"]
    refresh = project.run("run", "--run-id", "r6", "--cache-mode", "refresh", "--no-report")
    assert refresh.returncode == 0, refresh.stderr
    assert server.count() == 12 + 7
    after = project.run("run", "--run-id", "r7", "--no-report")
    assert after.returncode == 0, after.stderr
    assert server.count() == 19
    lines = project.journal("r7")
    assert len(lines) == 7 and all(line["cached"] for line in lines)
    assert all(line["output"] == "fresh " + prompt_of(line["case_id"]) for line in lines)


def test_failures_are_never_cached(server, tmp_path) -> None:
    project = make_project(
        tmp_path, {"oa": openai_model(server.openai_base_url)}, n_cases=4, run={"retries": 0}
    )
    broken = {prompt_of("c01"), prompt_of("c02")}
    rule_500 = server.fail_when(
        "server_error", lambda body: body["messages"][-1]["content"] == prompt_of("c01")
    )
    rule_body = server.fail_when(
        "error_body", lambda body: body["messages"][-1]["content"] == prompt_of("c02")
    )
    first = project.run("run", "--run-id", "f1", "--no-report")
    assert first.returncode == 3, first.stdout + first.stderr
    status = {line["case_id"]: line["status"] for line in project.journal("f1")}
    assert status == {"c00": "pass", "c01": "error", "c02": "error", "c03": "pass"}
    assert rule_500.hits == rule_body.hits == 1

    server.clear_faults()
    server.reset()
    second = project.run("run", "--run-id", "f2", "--no-report")
    assert second.returncode == 0, second.stdout + second.stderr
    # only the two cases that failed are requested again, once each
    assert set(server.ok_by_prompt()) == broken and set(ok_cases(server).values()) == {1}
    lines = project.journal("f2")
    assert keys_once(lines) == {(c, "oa"): 1 for c in project.cases}
    cached = {line["case_id"] for line in lines if line["cached"]}
    assert cached == {"c00", "c03"}
