"""``llmeval run --batch`` through the real CLI, the real SDKs and the fake server's batch
APIs: answers, judge calls, price, cache, per-request failures, expiry, status, cancel."""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from batch_project import PRICE, argv, cli, env, journal, make, manifest, model, run_dir, start
from fakeserver import FakeLLMServer

from llmeval.providers.batch import summarize

LIVE_PATHS = ("/v1/chat/completions", "/v1/messages")


def live_calls(srv: FakeLLMServer) -> int:
    return sum(1 for r in srv.requests if r.path in LIVE_PATHS)


def rubric_judge(request: dict) -> str:
    text = " ".join(str(m.get("content")) for m in request.get("messages") or [])
    if "<<<OUTPUT" in text or "rubric" in text.lower():
        return json.dumps({"reason": "fine", "pass": True, "score": 1.0})
    return request["messages"][-1]["content"]


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_batch_run_generations_and_judge_at_the_batch_price(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    fake_server.responder = rubric_judge
    srv = fake_server
    root = make(
        tmp_path, {"m": model(api, srv), "judge": model(api, srv)}, 12, judge="judge",
        asserts=[{"type": "llm-rubric", "value": "Names the case."}],
    )  # fmt: skip
    # only m is the suite's model (defaults.models lists both: pick m)
    out = cli(root, "run", "-m", "m", "--batch", "--run-id", "r", "--json", "--no-report")
    assert out.returncode == 0, out.stdout + out.stderr
    lines = journal(root, "r")
    assert sorted(ln["case_id"] for ln in lines) == [f"c{i:04d}" for i in range(12)]
    assert all(ln["status"] == "pass" and ln["output"] == f"say {ln['case_id']}" for ln in lines)
    assert live_calls(srv) == 0  # nothing went to the live endpoints
    assert srv.batches.creates == 2  # one batch of generations, one of judge calls
    assert len(srv.batches.processed) == 24 and set(srv.batches.processed.values()) == {1}
    for ln in lines:  # half the list price, for the answer and for its judge call
        list_cost = (ln["tokens"]["input"] * PRICE["input_per_mtok"]
                     + ln["tokens"]["output"] * PRICE["output_per_mtok"]) / 1e6  # fmt: skip
        assert ln["cost_usd"] == pytest.approx(0.5 * list_cost)
        j = ln["judge_tokens"]
        assert ln["judge_cost_usd"] == pytest.approx(
            0.5
            * (j["input"] * PRICE["input_per_mtok"] + j["output"] * PRICE["output_per_mtok"])
            / 1e6
        )
    m = manifest(root, "r")
    assert m["batch"] is True and m["cache"]["m"]["batches_created"] == 1
    assert m["cache"]["judge"]["batch_requests"] == 12

    status = cli(root, "batch", "status", "r", "--json")
    assert status.returncode == 0, status.stderr
    rows = json.loads(status.stdout)["batches"]
    assert {(r["model"], r["requests"], r["phase"]) for r in rows} == {
        ("m", 12, "collected"),
        ("judge", 12, "collected"),
    }
    assert all(r["batch_id"] and r["status"] in ("completed", "ended") for r in rows)
    table = cli(root, "batch", "status", "r")
    assert table.returncode == 0 and rows[0]["batch_id"] in table.stdout
    # a narrow terminal: one block per batch, every id whole, no line over the width
    narrow = subprocess.run(
        argv("batch", "status", "r"), cwd=root, env={**env(), "COLUMNS": "50"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert narrow.returncode == 0, narrow.stderr
    assert all(r["batch_id"] in narrow.stdout for r in rows)
    assert max(len(ln) for ln in narrow.stdout.splitlines()) <= 50

    # answers entered the cache like any answer: a live run of the same plan is free
    again = cli(root, "run", "-m", "m", "--run-id", "live", "--json", "--no-report")
    assert again.returncode == 0, again.stderr
    assert all(ln["cached"] for ln in journal(root, "live"))
    assert live_calls(srv) == 0 and srv.batches.creates == 2


def test_dry_run_shows_the_batch_estimate(fake_server: FakeLLMServer, tmp_path: Path) -> None:
    root = make(tmp_path, {"oa": model("openai", fake_server)}, 10)
    live = json.loads(cli(root, "run", "--dry-run", "--json").stdout)
    batch = json.loads(cli(root, "run", "--dry-run", "--batch", "--json").stdout)
    assert live["models"]["oa"]["batch"] is False and batch["models"]["oa"]["batch"] is True
    assert live["total"]["cost_usd"] > 0
    assert batch["total"]["cost_usd"] == pytest.approx(0.5 * live["total"]["cost_usd"])
    shown = cli(root, "run", "--dry-run", "--batch")
    text = " ".join(shown.stdout.split())  # the console wraps notes to its width
    assert shown.returncode == 0 and "(batch)" in text and "50% of list" in text
    # batch: true in llmeval.yaml does the same without the flag
    root2 = make(tmp_path / "two", {"oa": model("openai", fake_server, batch=True)}, 10)
    per_model = json.loads(cli(root2, "run", "--dry-run", "--json").stdout)
    assert per_model["total"]["cost_usd"] == pytest.approx(batch["total"]["cost_usd"])
    assert fake_server.requests == []


def test_batch_on_a_model_without_a_batch_api_is_a_located_config_error(tmp_path: Path) -> None:
    root = make(tmp_path, {"bot": {"provider": "echo", "batch": True}}, 2)
    out = cli(root, "validate")
    assert out.returncode == 4
    assert "llmeval.yaml:" in out.stdout + out.stderr
    assert "'batch' works with openai (api: chat) and anthropic" in out.stdout + out.stderr


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_partial_failure_and_expiry_map_to_each_case(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    srv = fake_server

    def says(cid: str):
        return lambda body: f"say {cid}" in json.dumps(body.get("messages"))

    srv.fail_when("bad_request", says("c0003"))  # fatal: that case's error, not retried
    srv.fail_when("server_error", says("c0005"), times=1)  # retryable: into the next batch
    srv.batches.expire_after = 15  # the first batch expires after 15 of its 20 requests
    root = make(tmp_path, {"m": model(api, srv, batch=True)}, 20)
    out = cli(root, "run", "--run-id", "r", "--json", "--no-report")
    data = json.loads(out.stdout)
    assert out.returncode == data["exit_code"] != 0, out.stderr  # the gate saw the error
    by_case = {ln["case_id"]: ln for ln in journal(root, "r")}
    assert len(by_case) == 20 and data["counts"]["not_run"] == 0
    assert by_case["c0003"]["status"] == "error"
    assert by_case["c0003"]["error"]["kind"] == "bad_request"
    assert all(ln["status"] == "pass" for c, ln in by_case.items() if c != "c0003")
    # the 5 expired and the one 500 went into later batches; nothing answered twice
    # (the 500 was processed, then once more: the only request answered twice)
    assert sorted(Counter(srv.batches.processed.values()).items()) == [(1, 19), (2, 1)]
    sizes = [s.requests for s in summarize(run_dir(root, "r") / "batches")]
    assert sizes[0] == 20 and sum(sizes) == 20 + 5 + 1  # expired 5 + the 500 once more
    assert srv.batches.creates == len(sizes)


@pytest.mark.parametrize("api", ["openai", "anthropic"])
def test_cancel_leaves_cases_not_run_and_resume_sends_them_again(
    fake_server: FakeLLMServer, api: str, tmp_path: Path
) -> None:
    srv = fake_server
    srv.batches.delay_s = 3600  # it would take an hour
    srv.batches.cancel_after = 4  # the provider finished 4 before the cancel landed
    root = make(tmp_path, {"m": model(api, srv)}, 10)
    proc = start(root, "run", "--batch", "--run-id", "r", "--json", "--no-report")
    folder = run_dir(root, "r") / "batches"
    deadline = time.monotonic() + 60
    while not any(s.phase == "submitted" for s in _states(folder)):
        assert proc.poll() is None and time.monotonic() < deadline, proc.stderr
        time.sleep(0.05)
    cancel = cli(root, "batch", "cancel", "r", "--json")
    assert cancel.returncode == 0, cancel.stderr
    (row,) = json.loads(cancel.stdout)["batches"]
    assert row["cancel_requested"] and row["batch_id"]
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, err  # incomplete: the cancelled cases are not run
    data = json.loads(out)
    assert data["counts"]["finished"] == 4 and data["counts"]["not_run"] == 6
    assert "batch_not_processed" not in json.dumps(journal(root, "r"))  # no line, not-run

    srv.batches.delay_s = 0
    again = cli(root, "run", "--resume", "r", "--json", "--no-report")
    assert again.returncode == 0, again.stderr
    assert sorted(ln["case_id"] for ln in journal(root, "r")) == [f"c{i:04d}" for i in range(10)]
    assert srv.batches.creates == 2 and set(srv.batches.processed.values()) == {1}
    assert [s.requests for s in summarize(folder)] == [10, 6]


def _states(folder: Path) -> list:
    try:
        return summarize(folder)
    except (OSError, ValueError):
        return []
