"""End to end through the CLI: a suite declaring tools, run against the fake server in
each wire format; tool assertions score the calls; a cached rerun makes 0 requests and
gives the same verdicts; a streamed model is held to a ttft threshold."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakeserver import FakeLLMServer

from llmeval.domain.tools import ToolChoice  # noqa: F401  (the suite below is its YAML form)

SUITE = """
name: tools
prompt: weather
models: [m]
tools:
  - type: function
    function:
      name: get_weather
      parameters:
        type: object
        properties: {city: {type: string}}
        required: [city]
tool_choice: auto
cases:
  - id: paris
    vars: {city: Paris}
    assert:
      - type: tool-call
        value: {name: get_weather, arguments: {city: Paris}, position: only}
      - type: is-valid-openai-tools-call
      - type: finish-reason
        value: tool_calls
      - type: tool-call-f1
        value: [get_weather]
  - id: chat
    vars: {city: nowhere}
    assert:
      - type: not-tool-call
        value: get_weather
      - type: icontains
        value: no tool
"""


def respond(body: Any) -> Any:
    text = json.dumps(body)
    if "Paris" in text:
        return {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}
    return "no tool needed"


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_TOKEN", "_SECRET"))}
    out.update(OPENAI_API_KEY="sk-e2e-tools-0123456789", ANTHROPIC_API_KEY="sk-ant-e2e-0123456789")
    return out


def make(root: Path, model: dict[str, Any], suite: str = SUITE) -> Path:
    (root / "prompts" / "weather").mkdir(parents=True)
    (root / "prompts" / "weather" / "v1.yaml").write_text("user: 'Weather in {{ city }}?'\n")
    (root / "suites").mkdir()
    (root / "suites" / "tools.yaml").write_text(textwrap.dedent(suite).lstrip())
    (root / "llmeval.yaml").write_text(yaml.safe_dump({"models": {"m": model}}))
    return root


def llmeval(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmeval", *args],
        cwd=root,
        env=env(),
        capture_output=True,
        text=True,
        timeout=90,
    )


def journal(root: Path, run_id: str) -> list[dict[str, Any]]:
    path = root / ".llmeval" / "runs" / run_id / "results.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


MODELS = {
    "chat": lambda s: {"provider": "openai", "model": "gpt-4o-mini", "base_url": s.openai_base_url},
    "responses": lambda s: {
        "provider": "openai",
        "model": "gpt-5",
        "api": "responses",
        "base_url": s.openai_base_url,
    },
    "anthropic": lambda s: {
        "provider": "anthropic",
        "model": "claude-haiku-4-5",
        "base_url": s.anthropic_base_url,
    },
}


@pytest.mark.parametrize("label", list(MODELS))
def test_tool_suite_runs_and_reruns_from_cache(tmp_path: Path, label: str) -> None:
    with FakeLLMServer(responder=respond) as srv:
        root = make(tmp_path, MODELS[label](srv))
        first = llmeval(root, "run", "--run-id", "r1", "--no-report")
        assert first.returncode == 0, first.stdout + first.stderr
        assert srv.count() == 2
        body = srv.requests[0].json
        assert "tools" in body and body["tool_choice"] in ("auto", {"type": "auto"})
        second = llmeval(root, "run", "--run-id", "r2", "--no-report")
        assert second.returncode == 0, second.stdout + second.stderr
        assert srv.count() == 2  # every answer, tool calls included, came from the cache
    for run_id in ("r1", "r2"):
        lines = {line["case_id"]: line for line in journal(root, run_id)}
        assert {k: v["status"] for k, v in lines.items()} == {"paris": "pass", "chat": "pass"}
        assert lines["paris"]["finish_reason"] == "tool_calls"
        assert [a["passed"] for a in lines["paris"]["assertions"]] == [True, True, True, True]
    assert all(line["cached"] for line in journal(root, "r2"))


def test_wrong_tool_call_fails_the_gate(tmp_path: Path) -> None:
    def wrong(body: Any) -> Any:
        return {"tool_calls": [{"name": "get_weather", "arguments": {"town": "Paris"}}]}

    with FakeLLMServer(responder=wrong) as srv:
        root = make(tmp_path, MODELS["chat"](srv))
        run = llmeval(root, "run", "--run-id", "r1", "--no-report")
    assert run.returncode == 1
    paris = next(line for line in journal(root, "r1") if line["case_id"] == "paris")
    verdicts = {a["type"]: a["passed"] for a in paris["assertions"]}
    assert verdicts == {
        "tool-call": False,
        "is-valid-openai-tools-call": False,
        "finish-reason": True,
        "tool-call-f1": True,
    }


def test_streamed_model_is_held_to_ttft(tmp_path: Path) -> None:
    suite = """
    prompt: weather
    models: [m]
    cases:
      - id: slow
        vars: {city: Oslo}
        assert:
          - {type: ttft, threshold: 5000}
          - {type: not-ttft, threshold: 100}
    """
    with FakeLLMServer(latency_ms=150, chunk_delay_ms=5) as srv:
        root = make(tmp_path, {**MODELS["chat"](srv), "stream": True}, suite)
        run = llmeval(root, "run", "--run-id", "r1", "--no-report")
        assert srv.requests[0].json["stream"] is True
    assert run.returncode == 0, run.stdout + run.stderr
    (line,) = journal(root, "r1")
    ttft = line["assertions"][0]["details"]["ttft_ms"]
    assert ttft > 150 and line["output"] == "Weather in Oslo?"
