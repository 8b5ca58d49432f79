"""Temporary projects for the trace tests: the bundled support agent as a python target
and behind HTTP (tests/traces/otlp_app.py, its own process). Unique module name."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
AGENT = REPO / "apps" / "agent" / "support_agent.py"
APP = Path(__file__).with_name("otlp_app.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def http_app(port: int, otlp_endpoint: str | None, encoding: str = "json") -> Iterator[str]:
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("OTEL_")}
    if otlp_endpoint:
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = otlp_endpoint
    proc = subprocess.Popen(
        [sys.executable, str(APP), str(port), str(AGENT), encoding],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def chats(url: str) -> int:
    with urllib.request.urlopen(url + "/stats", timeout=5) as r:
        return int(json.loads(r.read())["chats"])


def write_project(
    root: Path,
    models: dict[str, Any],
    cases: list[dict[str, Any]],
    run: dict[str, Any] | None = None,
) -> Path:
    (root / "apps" / "agent").mkdir(parents=True, exist_ok=True)
    shutil.copy(AGENT, root / "apps" / "agent" / "support_agent.py")
    (root / "prompts" / "msg").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / "msg" / "v1.yaml").write_text("user: '{{ message }}'\n")
    (root / "suites").mkdir(exist_ok=True)
    settings = {"models": models, "defaults": {"models": list(models)},
                "cache": {"dir": ".llmeval/cache"}, "run": run or {"concurrency": 8}}  # fmt: skip
    (root / "llmeval.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    suite = {"name": "agent", "prompt": "msg@v1", "cases": cases}
    (root / "suites" / "agent.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return root


CASES = [
    {"id": "status", "vars": {"message": "Where is my order BL-10001?"},
     "assert": [{"type": "trajectory:tool-args-match",
                 "value": {"name": "lookup_order", "args": {"order_id": "BL-10001"}}},
                {"type": "not-trajectory:tool-used", "value": "issue_refund"}]},
    {"id": "refund", "vars": {"message": "I'd like a refund for BL-10002"},
     "assert": [{"type": "trajectory:tool-sequence",
                 "value": {"mode": "exact", "steps": ["lookup_order", "search_faq", "issue_refund"]}},
                {"type": "trajectory:step-count", "value": {"type": "model", "min": 2}}]},
    {"id": "money-back", "vars": {"message": "I want my money back for BL-10003."},
     "assert": [{"type": "trajectory:tool-sequence", "value": ["lookup_order", "search_faq"]},
                {"type": "not-trajectory:tool-used", "value": "issue_refund"}]},
    {"id": "unknown", "vars": {"message": "Where is order BL-99999?"},
     "assert": [{"type": "trajectory:tool-used", "value": {"name": "lookup_order", "max": 1}},
                {"type": "trajectory:step-count",
                 "value": {"type": "span", "pattern": "invoke_agent*", "min": 1, "max": 1}}]},
]  # fmt: skip


def shape(trajectory: Any) -> list[tuple[Any, ...]]:
    """What must agree between sources: not timings, not span attributes."""
    return [(s.type, s.name, s.arguments, s.output, s.error) for s in trajectory]


def verdicts(result: Any) -> list[tuple[str, bool | None]]:
    return [(a.type, a.passed) for a in result.assertions]


def wait_until(predicate: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.02)
