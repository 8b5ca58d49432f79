"""A temporary project whose models go through the fake server's batch APIs, and the
real CLI run on it (subprocess). Every case's prompt is ``say <case id>``; the fake
server echoes it, so an answer names its case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PRICE = {"input_per_mtok": 1000.0, "output_per_mtok": 2000.0}


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "CI"}
    out.update(
        OPENAI_API_KEY="sk-test-batch-0123456789",
        ANTHROPIC_API_KEY="sk-ant-test-batch-0123456789",
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
    )
    return out


def model(api: str, srv: Any, **extra: Any) -> dict[str, Any]:
    if api == "openai":
        return {"provider": "openai", "model": "gpt-4o-mini", "base_url": srv.openai_base_url,
                "price": PRICE, **extra}  # fmt: skip
    return {"provider": "anthropic", "model": "claude-haiku-4-5",
            "base_url": srv.anthropic_base_url, "price": PRICE, **extra}  # fmt: skip


def make(
    root: Path,
    models: dict[str, dict[str, Any]],
    n: int,
    *,
    judge: str | None = None,
    asserts: list[dict[str, Any]] | None = None,
) -> Path:
    (root / "prompts" / "say").mkdir(parents=True)
    (root / "suites").mkdir()
    (root / "prompts" / "say" / "v1.yaml").write_text('user: "say {{ cid }}"\n')
    config: dict[str, Any] = {
        "models": models,
        "defaults": {"models": list(models), **({"judge": judge} if judge else {})},
        "run": {"concurrency": 4, "retries": 3, "timeout_s": 10},
    }
    (root / "llmeval.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    cases = [
        {"id": f"c{i:04d}", "vars": {"cid": f"c{i:04d}"},
         "assert": [{"type": "contains", "value": f"c{i:04d}"}, *(asserts or [])]}
        for i in range(n)
    ]  # fmt: skip
    doc = {"name": "b", "prompt": "say", "cases": cases}
    (root / "suites" / "b.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


def argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "llmeval", *args]


def cli(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv(*args), cwd=root, env=env(), capture_output=True, text=True, timeout=timeout
    )


def start(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv(*args), cwd=root, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def run_dir(root: Path, run_id: str) -> Path:
    return root / ".llmeval" / "runs" / run_id


def journal(root: Path, run_id: str) -> list[dict[str, Any]]:
    path = run_dir(root, run_id) / "results.jsonl"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    return [json.loads(x) for x in lines if x.strip()]


def manifest(root: Path, run_id: str) -> dict[str, Any]:
    return json.loads((run_dir(root, run_id) / "run.json").read_text(encoding="utf-8"))
