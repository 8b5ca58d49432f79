"""The fake server's own contract, which other test folders and benchmarks rely on."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from fakeserver import ANTHROPIC_MESSAGES, OPENAI_CHAT, FakeLLMServer, fail_fraction


def post(server: FakeLLMServer, path: str, body: Any, timeout: float = 5) -> tuple[int, Any]:
    data = json.dumps(body).encode()
    rq = urllib.request.Request(server.url + path, data=data, method="POST")
    rq.add_header("content-type", "application/json")
    rq.add_header("authorization", "Bearer sk-recorded-123")
    try:
        with urllib.request.urlopen(rq, timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def chat(text: str, **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": text}], **extra}


def test_echo_script_and_responder(fake_server: FakeLLMServer) -> None:
    assert post(fake_server, OPENAI_CHAT, chat("ping"))[1]["choices"][0]["message"]["content"] == (
        "ping"
    )
    fake_server.script("first", "second")
    fake_server.responder = lambda body: body["model"].upper()
    texts = [post(fake_server, OPENAI_CHAT, chat("x"))[1]["choices"][0]["message"]["content"]
             for _ in range(3)]  # fmt: skip
    assert texts == ["first", "second", "GPT-4O-MINI"]


def test_anthropic_wire_format(fake_server: FakeLLMServer) -> None:
    content = [{"type": "text", "text": "a b c"}]
    body = {"model": "claude-x", "max_tokens": 2, "system": "s t",
            "messages": [{"role": "user", "content": content}]}  # fmt: skip
    status, out = post(fake_server, ANTHROPIC_MESSAGES, body)
    assert status == 200 and out["type"] == "message" and out["model"] == "claude-x"
    assert out["content"] == [{"type": "text", "text": "a b"}]
    assert out["stop_reason"] == "max_tokens"
    assert out["usage"] == {"input_tokens": 5, "output_tokens": 2}
    status, out = post(fake_server, ANTHROPIC_MESSAGES + "/count_tokens", body)
    assert out == {"input_tokens": 5}


def test_moderations_and_models(fake_server: FakeLLMServer) -> None:
    _, out = post(fake_server, "/v1/moderations", {"input": ["fine", "this is FLAGGED"]})
    assert [r["flagged"] for r in out["results"]] == [False, True]
    with urllib.request.urlopen(fake_server.url + "/v1/models", timeout=5) as r:
        assert json.loads(r.read())["object"] == "list"


def test_records_bodies_headers_and_counts(fake_server: FakeLLMServer) -> None:
    fake_server.fail_next("server_error")
    post(fake_server, OPENAI_CHAT, chat("a"))
    post(fake_server, OPENAI_CHAT, chat("a"))
    post(fake_server, "/v1/moderations", {"input": "b"})
    assert fake_server.counts() == {OPENAI_CHAT: 2, "/v1/moderations": 1}
    assert fake_server.count(OPENAI_CHAT, status=500) == 1
    assert fake_server.ok_by_prompt() == {"a": 1}
    first = fake_server.requests[0]
    assert first.fault == "server_error" and first.status == 500 and first.prompt == "a"
    assert first.headers["authorization"] == "Bearer sk-recorded-123"
    assert b'"content": "a"' in first.body
    fake_server.reset()
    assert fake_server.requests == [] and fake_server.counts() == {}


def test_rules_times_when_path_and_rate(fake_server: FakeLLMServer) -> None:
    rule = fake_server.fail_when("bad_request", lambda b: b["messages"][0]["content"] == "bad")
    fake_server.fail_next("auth", n=1, path="/v1/moderations")
    assert post(fake_server, OPENAI_CHAT, chat("good"))[0] == 200
    assert post(fake_server, OPENAI_CHAT, chat("bad"))[0] == 400
    assert post(fake_server, OPENAI_CHAT, chat("bad"))[0] == 400  # unlimited
    assert post(fake_server, "/v1/moderations", {"input": "x"})[0] == 401
    assert post(fake_server, "/v1/moderations", {"input": "x"})[0] == 200  # used up
    assert rule.hits == 2
    fake_server.clear_faults()
    fake_server.fail_rate("server_error", 0.5)
    statuses = [post(fake_server, OPENAI_CHAT, chat(str(i)))[0] for i in range(60)]
    assert 10 < statuses.count(500) < 50
    with pytest.raises(ValueError, match="unknown fault kind"):
        fake_server.add_fault("explode")


def test_rate_limit_headers(fake_server: FakeLLMServer) -> None:
    fake_server.fail_next("rate_limit", retry_after=3, retry_after_ms=3000)
    rq = urllib.request.Request(fake_server.url + OPENAI_CHAT, data=json.dumps(chat("x")).encode())
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(rq, timeout=5)
    assert e.value.code == 429
    assert e.value.headers["retry-after"] == "3" and e.value.headers["retry-after-ms"] == "3000"


def test_latency_is_applied(fake_server: FakeLLMServer) -> None:
    fake_server.latency_ms = 120
    t0 = time.monotonic()
    post(fake_server, OPENAI_CHAT, chat("x"))
    assert time.monotonic() - t0 >= 0.12


def test_stop_is_clean_with_a_hanging_request() -> None:
    server = FakeLLMServer(hang_s=60).start()
    server.fail_next("hang")
    outcome: list[object] = []

    def client() -> None:
        try:
            outcome.append(post(server, OPENAI_CHAT, chat("x"), timeout=30))
        except Exception as e:
            outcome.append(e)

    t = threading.Thread(target=client)
    t.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    server.stop()
    t.join(10)
    assert time.monotonic() - t0 < 3 and not t.is_alive()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1)


def test_runs_as_a_script_with_stats_endpoint(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    script = Path(__file__).resolve().parents[1] / "fakeserver.py"
    proc = subprocess.Popen(
        [sys.executable, str(script), "--port", str(port), "--latency-ms", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert f"127.0.0.1:{port}" in proc.stdout.readline()
        remote = FakeLLMServer(port=port)  # not started: only used for its url
        post(remote, OPENAI_CHAT, chat("hello"))
        with urllib.request.urlopen(remote.url + "/_fake/stats", timeout=5) as r:
            stats = json.loads(r.read())
        assert stats["by_path"] == {OPENAI_CHAT: 1} and stats["ok_by_prompt"] == {"hello": 1}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0


def test_fail_first_fails_each_prompt_once(fake_server: FakeLLMServer) -> None:
    fake_server.fail_first("server_error")
    statuses = [post(fake_server, OPENAI_CHAT, chat(p))[0] for p in ["a", "b", "a", "b", "a"]]
    assert statuses == [500, 500, 200, 200, 200]
    assert fake_server.ok_by_prompt() == {"a": 2, "b": 1}


def test_fail_fraction_is_split_over_kinds() -> None:
    # rules are tried in order, so their conditional rates must add up to the total
    with FakeLLMServer(seed=3) as server:
        fail_fraction(server, 0.2, ["rate_limit", "server_error"], retry_after=0)
        statuses = [post(server, OPENAI_CHAT, chat(str(i)))[0] for i in range(400)]
    failed = sum(s != 200 for s in statuses) / len(statuses)
    assert 0.13 < failed < 0.27
    assert statuses.count(429) > 20 and statuses.count(500) > 20
