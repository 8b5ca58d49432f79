"""Rate limits through the CLI: 429s with Retry-After delay only their own request and
shrink the model's concurrency (AIMD); run.json records what the limits did."""

from __future__ import annotations

from e2e_project import keys_once, make_project, ok_cases, openai_model
from fakeserver import FakeLLMServer


def test_429s_adapt_concurrency_and_every_case_completes_once(tmp_path) -> None:
    with FakeLLMServer(latency_ms=5, seed=5) as server:
        project = make_project(
            tmp_path, {"oa": openai_model(server.openai_base_url)}, n_cases=120,
            run={"retries": 10, "concurrency": 16},
        )  # fmt: skip
        server.fail_rate("rate_limit", 0.1, retry_after=0.2)
        proc = project.run("run", "--run-id", "rl", "--no-report")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert ok_cases(server) == {c: 1 for c in project.cases}
        assert keys_once(project.journal("rl")) == {(c, "oa"): 1 for c in project.cases}
        limits = project.manifest("rl")["cache"]["oa"]
        assert limits["rate_limited"] == server.stats()["faults"]["rate_limit"] > 0
        assert limits["concurrency_limit"] == 16 and limits["max_in_flight"] <= 16
        assert limits["concurrency_decreases"] >= 1 and limits["lowest_concurrency"] < 16
        assert limits["lane_pauses"] == 0  # a few 429s never stop the whole lane
        assert limits["limit_wait_s"] >= 0.2 * limits["rate_limited"] * 0.9
