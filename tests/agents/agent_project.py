"""Temporary projects for the tool loop and conversations, pointed at the fake server
(whose ``tool_agent`` responder calls the tools a message names, in any wire format).

Unique module name (no clash with other test folders)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

KEY = "sk-test-agentloop-0000"
TOOLS_PY = """\
import time


def add(a: int, b: int) -> int:
    return a + b


def weather(city: str) -> str:
    return f"sunny in {city}"


def broken(x: int = 0) -> str:
    raise ValueError("the weather station is down")


def slow(s: int = 0) -> str:
    time.sleep(5)
    return "late"
"""

TOOLS = [
    {"type": "function", "function": {"name": "add", "description": "a + b", "parameters": {
        "type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"]}}},
    {"type": "function", "function": {"name": "weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}},
    {"name": "broken", "parameters": {"type": "object", "properties": {"x": {"type": "integer"}}}},
    {"name": "slow", "parameters": {"type": "object", "properties": {"s": {"type": "integer"}}}},
]  # fmt: skip


def models_for(server: Any) -> dict[str, dict[str, Any]]:
    return {
        "oa": {"provider": "openai", "model": "gpt-4o-mini", "base_url": server.openai_base_url,
               "price": {"input_per_mtok": 1000.0, "output_per_mtok": 2000.0}},
        "rs": {"provider": "openai", "model": "gpt-4o-mini", "api": "responses",
               "base_url": server.openai_base_url},
        "an": {"provider": "anthropic", "model": "claude-haiku-4-5",
               "base_url": server.anthropic_base_url},
    }  # fmt: skip


def make(root: Path, server: Any, suite: dict[str, Any], *, models: list[str] | None = None,
         tools_py: str = TOOLS_PY, run: dict[str, Any] | None = None) -> Path:  # fmt: skip
    """A project with ``suites/<name>.yaml`` = ``suite`` (models default: all three)."""
    (root / "suites").mkdir(parents=True, exist_ok=True)
    all_models = models_for(server)
    names = models or list(all_models)
    config = {
        "models": {n: all_models[n] for n in names},
        "defaults": {"models": names},
        "run": {"concurrency": 2, "retries": 2, "timeout_s": 10, **(run or {})},
    }
    (root / "llmeval.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (root / "suites" / "tools.py").write_text(tools_py)
    suite = {"models": names, **suite}
    (root / "suites" / f"{suite['name']}.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return root


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "CI"}
    e.update(OPENAI_API_KEY=KEY, ANTHROPIC_API_KEY=KEY, PYTHONUNBUFFERED="1")
    return e


def cli(root: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "llmeval", *args], cwd=root, env=env(),
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "llmeval", *args], cwd=root, env=env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
