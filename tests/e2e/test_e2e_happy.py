"""Happy path on both wire formats through the real CLI and SDKs."""

from __future__ import annotations

import json

import pytest
from e2e_project import (
    ANTHROPIC_CANARY,
    OPENAI_CANARY,
    PRICE,
    anthropic_model,
    keys_once,
    make_project,
    ok_cases,
    openai_model,
    prompt_of,
)
from fakeserver import FakeLLMServer


@pytest.fixture
def server():
    with FakeLLMServer(latency_ms=5, model_suffix="-2099-01-01") as srv:
        yield srv


def _reported(manifest: dict, alias: str) -> str:
    """The model id(s) the provider reported, as run.json records them."""
    entry = manifest["models"][alias]
    ids = entry.get("model_id", entry.get("model_ids"))
    return ",".join(ids) if isinstance(ids, list) else ids


def test_both_wire_formats_journal_tokens_model_id_cost_and_summary(server, tmp_path) -> None:
    project = make_project(
        tmp_path,
        {
            "oa": openai_model(server.openai_base_url, price=PRICE),
            "an": anthropic_model(server.anthropic_base_url, price=PRICE),
        },
        n_cases=4,
    )
    proc = project.run("run", "--run-id", "happy", "--json")
    assert proc.returncode == 0, proc.stderr

    # the server saw each case once per wire format, with the right key on each
    assert server.counts() == {"/v1/chat/completions": 4, "/v1/messages": 4}
    assert set(ok_cases(server).values()) == {2}
    for rec in server.requests:
        key = OPENAI_CANARY if rec.path == "/v1/chat/completions" else ANTHROPIC_CANARY
        # SDK versions differ on the header (x-api-key or a bearer token)
        sent = rec.headers.get("x-api-key") or rec.headers.get("authorization", "")
        assert sent.removeprefix("Bearer ") == key

    lines = project.journal("happy")
    assert keys_once(lines) == {(c, m): 1 for c in project.cases for m in ("oa", "an")}
    words_in = len(prompt_of("c00").split())  # the fake counts whitespace words as tokens
    for line in lines:
        assert line["status"] == "pass" and line["error"] is None and line["cached"] is False
        assert line["output"] == prompt_of(line["case_id"])
        assert line["tokens"] == {"input": words_in, "output": words_in}
        # the id the server reported, not the configured name
        base = "gpt-4o-mini" if line["model"] == "oa" else "claude-haiku-4-5"
        assert line["model_id"] == base + "-2099-01-01"
        expected_cost = (words_in * 1000.0 + words_in * 2000.0) / 1e6
        assert line["cost_usd"] == pytest.approx(expected_cost)
        assert line["finish_reason"] in ("stop", "end_turn")
        assert line["latency_ms"] > 0

    manifest = project.manifest("happy")
    assert manifest["status"] == "complete"
    assert manifest["counts"]["planned"] == manifest["counts"]["finished"] == 8
    assert manifest["counts"]["not_run"] == 0
    assert _reported(manifest, "oa") == "gpt-4o-mini-2099-01-01"
    assert _reported(manifest, "an") == "claude-haiku-4-5-2099-01-01"
    assert manifest["spent_usd"] == pytest.approx(8 * expected_cost)
    totals = manifest["summary"]["totals"]
    assert (totals["passed"], totals["failed"], totals["errors"]) == (8, 0, 0)
    assert manifest["cache"]["oa"]["requests_sent"] == 4
    assert manifest["cache"]["an"]["cache_writes"] == 4

    out = json.loads(proc.stdout)
    assert out["exit_code"] == 0 and out["status"] == "complete" and out["run_id"] == "happy"
    assert (tmp_path / "reports" / "happy.html").is_file()
