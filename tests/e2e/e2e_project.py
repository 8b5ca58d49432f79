"""Temporary llmeval projects pointed at the fake server, and the real CLI run on them.

Unique module name (no clash with other test folders). Every case's prompt is
``prompt_of(case_id)``; the fake server echoes it back, so the server's
``ok_by_prompt()`` counts successful requests per case.
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

OPENAI_CANARY = "sk-canary-OPENAI-7f3e9a1c5b2d"
ANTHROPIC_CANARY = "sk-canary-ANTHROPIC-4c8d2e6f0a1b"
CANARIES = (OPENAI_CANARY, ANTHROPIC_CANARY)
PRICE = {"input_per_mtok": 1000.0, "output_per_mtok": 2000.0}  # $ per million tokens
CLI_TIMEOUT_S = 60


def prompt_of(case_id: str) -> str:
    return f"echo case {case_id} please"


def case_of(prompt: str) -> str:
    return prompt.removeprefix("echo case ").removesuffix(" please")


def openai_model(base_url: str, **extra: Any) -> dict[str, Any]:
    return {"provider": "openai", "model": "gpt-4o-mini", "base_url": base_url, **extra}


def anthropic_model(base_url: str, **extra: Any) -> dict[str, Any]:
    return {"provider": "anthropic", "model": "claude-haiku-4-5", "base_url": base_url, **extra}


def cli_env(**overrides: str | None) -> dict[str, str]:
    """The parent's environment without any real key, plus the canary keys."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_API_KEY", "_TOKEN", "_SECRET")) and k != "CI"
    }
    env.update(OPENAI_API_KEY=OPENAI_CANARY, ANTHROPIC_API_KEY=ANTHROPIC_CANARY)
    env["PYTHONUNBUFFERED"] = "1"
    for k, v in overrides.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


@dataclass
class Project:
    root: Path
    cases: list[str]
    models: list[str]
    env: dict[str, str] = field(default_factory=cli_env)

    # --- running -------------------------------------------------------------
    def argv(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "llmeval", *args]

    def run(self, *args: str, timeout: float = CLI_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(*args),
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def start(self, *args: str, tag: str = "bg") -> Background:
        out = open(self.root / f".{tag}.out", "w+", encoding="utf-8")  # noqa: SIM115
        err = open(self.root / f".{tag}.err", "w+", encoding="utf-8")  # noqa: SIM115
        proc = subprocess.Popen(
            self.argv(*args), cwd=self.root, env=self.env, stdout=out, stderr=err
        )
        return Background(proc, out, err)

    # --- what a run wrote ----------------------------------------------------
    def run_dir(self, run_id: str) -> Path:
        return self.root / ".llmeval" / "runs" / run_id

    def journal(self, run_id: str) -> list[dict[str, Any]]:
        """Every complete line of the journal, duplicates included."""
        path = self.run_dir(run_id) / "results.jsonl"
        if not path.exists():
            return []
        text = path.read_text(encoding="utf-8")
        lines = text.split("\n")[:-1]  # a partial last line (killed writer) has no "\n"
        return [json.loads(line) for line in lines if line.strip()]

    def manifest(self, run_id: str) -> dict[str, Any]:
        return json.loads((self.run_dir(run_id) / "run.json").read_text(encoding="utf-8"))

    def wait_for_lines(
        self, run_id: str, n: int, proc: subprocess.Popen[str], timeout: float = 30
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.journal(run_id)) >= n:
                return
            if proc.poll() is not None:
                raise AssertionError(f"CLI exited early with {proc.returncode}")
            time.sleep(0.01)
        raise AssertionError(f"journal of {run_id} never reached {n} lines")

    def add_cases(self, ids: Iterable[str]) -> None:
        self.cases = [*self.cases, *ids]
        _write_suite(self.root, self.cases, self.models)

    def files(self) -> list[Path]:
        return [p for p in self.root.rglob("*") if p.is_file()]


@dataclass
class Background:
    proc: subprocess.Popen[str]
    out: Any
    err: Any

    def signal(self, sig: signal.Signals) -> None:
        os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = CLI_TIMEOUT_S) -> tuple[int, str, str]:
        code = self.proc.wait(timeout)
        self.out.seek(0)
        self.err.seek(0)
        out, err = self.out.read(), self.err.read()
        self.out.close()
        self.err.close()
        return code, out, err


def _write_suite(root: Path, cases: list[str], models: list[str]) -> None:
    suite = {
        "name": "e2e",
        "prompt": "echo@v1",
        "models": models,
        "cases": [
            {"id": c, "vars": {"cid": c}, "assert": [{"type": "contains", "value": f"case {c}"}]}
            for c in cases
        ],
    }
    (root / "suites" / "e2e.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))


def make_project(
    root: Path,
    models: Mapping[str, Mapping[str, Any]],
    *,
    n_cases: int = 6,
    run: Mapping[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> Project:
    """A project with one suite of ``n_cases`` cases run on every model in ``models``."""
    (root / "prompts" / "echo").mkdir(parents=True)
    (root / "suites").mkdir()
    (root / "prompts" / "echo" / "v1.yaml").write_text('user: "echo case {{ cid }} please"\n')
    config = {
        "models": {alias: dict(spec) for alias, spec in models.items()},
        "defaults": {"models": list(models)},
        # small and fast: few workers, few retries, short timeouts
        "run": {"concurrency": 4, "retries": 3, "timeout_s": 10, **(run or {})},
    }
    (root / "llmeval.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    cases = [f"c{i:02d}" for i in range(n_cases)]
    _write_suite(root, cases, list(models))
    return Project(root, cases, list(models), env if env is not None else cli_env())


def completion_prompts(records: Iterable[Any]) -> collections.Counter[str]:
    """Case ids of the completion requests in ``records`` (any status)."""
    return collections.Counter(
        case_of(r.prompt)
        for r in records
        if r.prompt is not None and r.path.endswith(("/chat/completions", "/messages"))
    )


def ok_cases(server: Any) -> collections.Counter[str]:
    """Successful completions per case id."""
    return collections.Counter({case_of(p): n for p, n in server.ok_by_prompt().items()})


def keys_once(lines: list[dict[str, Any]]) -> collections.Counter[tuple[str, str]]:
    return collections.Counter((line["case_id"], line["model"]) for line in lines)
