"""Provider faults through the CLI: rate limits and 5xx are retried to exactly one
success per case; auth errors stop the model; a missing key stops the run before
any call; a dead provider trips the circuit breaker."""

from __future__ import annotations

import re

import pytest
from e2e_project import (
    anthropic_model,
    cli_env,
    keys_once,
    make_project,
    ok_cases,
    openai_model,
)
from fakeserver import FakeLLMServer, fail_fraction


@pytest.fixture
def server():
    with FakeLLMServer(latency_ms=2, seed=3) as srv:
        yield srv


def test_twenty_percent_429_and_500_every_case_completes_once(server, tmp_path) -> None:
    project = make_project(
        tmp_path,
        {"oa": openai_model(server.openai_base_url), "an": anthropic_model(server.url)},
        n_cases=15,
        run={"retries": 8, "concurrency": 6},
    )
    fail_fraction(server, 0.2, ["rate_limit", "server_error"], retry_after=0.05)
    proc = project.run("run", "--run-id", "flaky", "--no-report")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    faults = server.stats()["faults"]
    assert faults.get("rate_limit", 0) > 0 and faults.get("server_error", 0) > 0
    # exactly one successful request per case and model, none lost, none doubled
    assert ok_cases(server) == {c: 2 for c in project.cases}
    lines = project.journal("flaky")
    assert keys_once(lines) == {(c, m): 1 for c in project.cases for m in ("oa", "an")}
    assert all(line["status"] == "pass" for line in lines)
    manifest = project.manifest("flaky")
    retries = manifest["cache"]["oa"]["retries"] + manifest["cache"]["an"]["retries"]
    assert retries == sum(faults.values())


def test_retry_after_past_the_cap_leaves_cases_not_run_and_resumable(server, tmp_path) -> None:
    project = make_project(tmp_path, {"oa": openai_model(server.openai_base_url)}, n_cases=8)
    # the 429 is answered at once and the others after 300 ms, so it is known before
    # any of them finishes (a success the server answers first legitimately frees a
    # worker for one more case; that is ordering, not the race this test is about)
    server.latency_ms = 300
    server.fail_next("rate_limit", 1, retry_after=3600, latency_ms=0)
    proc = project.run("run", "--run-id", "lane", "--no-report")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    # the in-flight ones; the lane hears the 429 as its headers arrive, so no worker
    # that finishes later sends another (tests/providers/test_lane_hears_429.py);
    # nobody waits an hour or retries
    assert server.count() <= 4
    assert "3600" in proc.stderr and "Traceback" not in proc.stderr
    manifest = project.manifest("lane")
    assert manifest["counts"]["not_run"] + manifest["counts"]["finished"] == 8
    assert manifest["counts"]["not_run"] >= 5
    server.latency_ms = 2

    resumed = project.run("run", "--resume", "lane", "--no-report")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert keys_once(project.journal("lane")) == {(c, "oa"): 1 for c in project.cases}
    assert set(ok_cases(server).values()) == {1}


def test_auth_error_stops_the_model_with_one_clear_line(server, tmp_path) -> None:
    project = make_project(
        tmp_path, {"oa": openai_model(server.openai_base_url)}, n_cases=12, run={"concurrency": 2}
    )
    server.fail_rate("auth", 1.0)
    proc = project.run("run", "--run-id", "auth", "--no-report")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    assert "Traceback" not in text
    # one note naming the key to set (the console wraps it to the terminal's width)
    flat = " ".join(text.split())
    assert re.search(r"note: model 'oa' stopped: [^.]*authentication failed.*OPENAI_API_KEY", flat)
    # fail fast: no retry of a 401, and at most the in-flight cases were sent
    assert server.count() <= 2
    manifest = project.manifest("auth")
    assert manifest["counts"]["not_run"] >= 10
    assert "oa" in manifest["stopped_models"]
    assert "resume with: llmeval run --resume auth" in proc.stderr


def test_missing_key_exits_4_naming_the_variable_before_any_request(server, tmp_path) -> None:
    project = make_project(
        tmp_path,
        {
            "oa": openai_model(server.openai_base_url),
            # a remote host: no keyless-localhost allowance, so the key is required
            "remote": anthropic_model("https://llm.invalid", api_key_env="E2E_REMOTE_API_KEY"),
        },
        n_cases=3,
        env=cli_env(E2E_REMOTE_API_KEY=None),
    )
    proc = project.run("run", "--run-id", "nokey", "--no-report")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "E2E_REMOTE_API_KEY" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert server.count() == 0  # not even the model that has its key ran


def test_circuit_breaker_stops_hammering_a_dead_provider(server, tmp_path) -> None:
    n, retries = 30, 4
    project = make_project(
        tmp_path,
        {"oa": openai_model(server.openai_base_url)},
        n_cases=n,
        run={"retries": retries, "concurrency": 4},
    )
    server.fail_rate("server_error", 1.0)
    proc = project.run("run", "--run-id", "down", "--no-report")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    sent = server.count()
    assert sent <= 16, sent  # vs n * (retries + 1) = 150 without a breaker
    manifest = project.manifest("down")
    assert manifest["counts"]["not_run"] >= n - 4
    assert manifest["cache"]["oa"]["circuit_opens"] >= 1
    assert "resume with: llmeval run --resume down" in proc.stderr

    # the provider is back: --resume runs what was not run, and only that
    server.clear_faults()
    server.reset()
    finished = {line["case_id"] for line in project.journal("down")}
    resumed = project.run("run", "--resume", "down", "--no-report")
    assert resumed.returncode in (0, 3), resumed.stdout + resumed.stderr
    assert set(ok_cases(server)) == set(project.cases) - finished
    lines = project.journal("down")
    assert keys_once(lines) == {(c, "oa"): 1 for c in project.cases}
    errors = [line["case_id"] for line in lines if line["status"] == "error"]
    assert resumed.returncode == (3 if errors else 0)
    assert project.manifest("down")["counts"]["not_run"] == 0
