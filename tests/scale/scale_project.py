"""A small project for the sharding tests: two python-target models, a critical case,
and an app whose broken cases make a real regression against the committed baseline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

APP = """
BROKEN = set({broken!r})
def answer(vars):
    n = vars["n"]
    return "wrong" if n in BROKEN else f"answer {{n}}"
def terse(vars):
    return f"answer {{vars['n']}}"
"""

# what differs between two runs of the same plan and is not a result: who, when, how long
VOLATILE = {"run_id", "latency_ms", "finished_at"}


def llmeval(*args: str, cwd: Path, timeout: float = 180, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "llmeval", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "CI": "1", **(env or {})},
    )


def write_project(root: Path, n: int = 60, critical: int | None = None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "llmeval.yaml").write_text(
        "models:\n"
        "  app:\n    provider: python\n    target: app.py:answer\n"
        "  terse:\n    provider: python\n    target: app.py:terse\n"
        "defaults:\n  models: [app, terse]\n"
    )
    (root / "suites").mkdir(exist_ok=True)
    cases = []
    for i in range(n):
        crit = "\n    critical: true" if i == critical else ""
        cases.append(
            f"  - id: c{i}{crit}\n    vars: {{input: q, n: {i}}}\n"
            f"    assert:\n      - type: contains\n        value: answer {i}\n"
        )
    (root / "suites" / "qa.yaml").write_text(
        "name: qa\nmin_pass_rate: 0.5\ncases:\n" + "".join(cases)
    )
    set_broken(root, [])


def set_broken(root: Path, broken: list[int]) -> None:
    (root / "app.py").write_text(APP.format(broken=sorted(broken)))


def journal(run_dir: Path) -> dict[tuple, dict]:
    """Results by key, without what legitimately differs between runs."""
    out = {}
    for line in (run_dir / "results.jsonl").read_text().splitlines():
        d = json.loads(line)
        key = (d["suite"], d["case_id"], d["model"], d["prompt"], d["repeat"])
        assert key not in out, f"{key} journaled twice"
        out[key] = {k: v for k, v in d.items() if k not in VOLATILE}
    return out
