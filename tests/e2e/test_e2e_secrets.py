"""Canary keys never reach a file or the terminal, even when the server echoes the
key back in its error bodies and the run prints those errors."""

from __future__ import annotations

import pytest
from e2e_project import (
    ANTHROPIC_CANARY,
    CANARIES,
    OPENAI_CANARY,
    anthropic_model,
    make_project,
    openai_model,
    prompt_of,
)
from fakeserver import FakeLLMServer


@pytest.fixture
def server():
    with FakeLLMServer(latency_ms=2) as srv:
        yield srv


def _for(case_id: str):
    return lambda body: body["messages"][-1]["content"] == prompt_of(case_id)


def test_canary_keys_absent_from_every_file_and_output(server, tmp_path) -> None:
    project = make_project(
        tmp_path,
        {"oa": openai_model(server.openai_base_url), "an": anthropic_model(server.url)},
        n_cases=6,
        run={"retries": 1},
    )
    chat, messages = "/v1/chat/completions", "/v1/messages"
    server.fail_when("bad_request", _for("c01"), path=chat, echo_key=True)
    server.fail_when("server_error", _for("c02"), path=chat, echo_key=True)
    server.fail_when("error_body", _for("c03"), path=chat, echo_key=True)
    server.fail_when(  # a proxy that quotes the whole Authorization header
        "custom",
        _for("c04"),
        path=chat,
        status=502,
        body=f"bad gateway; header was Authorization: Bearer {OPENAI_CANARY}",
    )
    server.fail_when("quota", _for("c05"), path=messages, echo_key=True)

    def answer(body: dict) -> str:  # c00's answer quotes a key, like a leaky app would
        prompt = body["messages"][-1]["content"]
        return f"{prompt}; key {OPENAI_CANARY}" if prompt == prompt_of("c00") else prompt

    server.responder = answer
    junit, markdown = tmp_path / "out" / "junit.xml", tmp_path / "out" / "summary.md"
    proc = project.run(
        "--debug", "run", "--run-id", "sec", "--junit", str(junit), "--markdown", str(markdown)
    )
    # a 400 is the request's own fault (resuming cannot fix it): the gate fails
    assert proc.returncode == 1, proc.stdout + proc.stderr
    stats = project.run("cache", "stats")
    assert stats.returncode == 0, stats.stderr

    # the keys were really in use, and really echoed back
    received = " ".join(str(r.headers) for r in server.requests)
    assert OPENAI_CANARY in received and ANTHROPIC_CANARY in received
    errors = {
        (line["case_id"], line["model"]): line["error"]
        for line in project.journal("sec")
        if line["status"] == "error"
    }
    assert {("c01", "oa"), ("c02", "oa"), ("c03", "oa"), ("c04", "oa"), ("c05", "an")} <= set(
        errors
    )
    assert "[REDACTED]" in errors[("c01", "oa")]["message"]
    assert "[REDACTED]" in errors[("c05", "an")]["message"]
    outputs = {(line["case_id"], line["model"]): line["output"] for line in project.journal("sec")}
    assert outputs[("c00", "oa")] == prompt_of("c00") + "; key [REDACTED]"
    assert "REDACTED" in proc.stdout + proc.stderr  # the run printed the redacted errors

    written = project.files()
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    assert {"reports/sec.html", "reports/latest.html", "out/junit.xml", "out/summary.md"} <= names
    assert any(n.startswith(".llmeval/cache/") for n in names)
    for path in written:
        data = path.read_bytes()
        for canary in CANARIES:
            assert canary.encode() not in data, path
            assert canary.encode("utf-16-le") not in data, path
    for text in (proc.stdout, proc.stderr, stats.stdout, stats.stderr):
        for canary in CANARIES:
            assert canary not in text
