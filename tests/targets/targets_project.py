"""Small projects whose model is a python target, and the real CLI run on them.

Unique module name (no clash with other test folders). Each case's vars are
``{"n": <case id>}``; the prompt is ``case {{ n }}``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

CANARY = "sk-canary-TARGET-9d2f4b6a8c1e"
REPO = Path(__file__).resolve().parents[2]


def write_project(
    root: Path,
    app: str,
    *,
    target: str = "answer",
    cases: list[str] | None = None,
    model: dict[str, Any] | None = None,
    run: dict[str, Any] | None = None,
    suite: dict[str, Any] | None = None,
) -> Path:
    (root / "apps").mkdir(parents=True, exist_ok=True)
    (root / "apps" / "app.py").write_text(app)
    (root / "prompts" / "p").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / "p" / "v1.yaml").write_text("user: 'case {{ n }}'\n")
    (root / "suites").mkdir(exist_ok=True)
    spec = {"provider": "python", "target": f"apps/app.py:{target}", **(model or {})}
    settings = {"models": {"app": spec}, "defaults": {"models": ["app"]},
                "run": run or {"concurrency": 4}}  # fmt: skip
    (root / "llmeval.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    ids = cases or ["a", "b", "c"]
    body = {"name": "s", "prompt": "p@v1",
            "cases": [{"id": c, "vars": {"n": c}} for c in ids], **(suite or {})}  # fmt: skip
    (root / "suites" / "s.yaml").write_text(yaml.safe_dump(body, sort_keys=False))
    return root


def cli_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_TOKEN")) and k != "CI"
    }
    env.update(OPENAI_API_KEY=CANARY, ANTHROPIC_API_KEY=CANARY + "-an", PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


def llmeval(root: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 90) -> subprocess.CompletedProcess[str]:  # fmt: skip
    return subprocess.run(
        [sys.executable, "-m", "llmeval", *args],
        cwd=root,
        env=env or cli_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def journal(root: Path, run_id: str) -> list[dict[str, Any]]:
    path = root / ".llmeval" / "runs" / run_id / "results.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def written(root: Path) -> list[Path]:
    skip = {"apps", "prompts", "suites"}
    return [p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] not in skip]
