"""``pass_env`` beside ``tools_impl``: the tools' worker gets those variables (and no
other secret), the case's own ``tools_impl`` with its own ``pass_env``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent_project import env, make
from fakeserver import FakeLLMServer, tool_agent

TOOLS_PY = """\
import os


def envnames(q: str = "") -> str:
    return ",".join(sorted(k for k in os.environ if k.startswith("SVC_")))
"""
TOOLS = [{"name": "envnames", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}}}]  # fmt: skip


def test_each_tools_impl_sees_only_the_names_beside_it(tmp_path: Path) -> None:
    suite = {
        "name": "envs",
        "tools": TOOLS,
        "tools_impl": "tools.py",
        "pass_env": ["SVC_A_TOKEN"],
        "cases": [
            {"id": "suite-env", "vars": {"input": "call envnames"}},
            {"id": "none", "vars": {"input": "call envnames"}, "tools_impl": "tools.py"},
            {"id": "own-env", "vars": {"input": "call envnames"}, "tools_impl": "tools.py",
             "pass_env": ["SVC_B_TOKEN", "SVC_UNSET_TOKEN"]},
        ],
    }  # fmt: skip
    with FakeLLMServer(responder=tool_agent) as srv:
        root = make(tmp_path, srv, suite, models=["oa"], tools_py=TOOLS_PY)
        e = {**env(), "SVC_A_TOKEN": "a-" + "1" * 20, "SVC_B_TOKEN": "b-" + "2" * 20,
             "SVC_C_TOKEN": "c-" + "3" * 20}  # fmt: skip
        proc = subprocess.run(
            [sys.executable, "-m", "llmeval", "run", "--no-report", "--run-id", "env"],
            cwd=root, env=e, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    path = root / ".llmeval" / "runs" / "env" / "results.jsonl"
    out = {r["case_id"]: r["output"] for r in map(json.loads, path.read_text().splitlines())}
    # key-like names are kept from workers unless listed; an unset listed name is absent
    assert out == {
        "suite-env": "results: SVC_A_TOKEN",
        "none": "results: ",
        "own-env": "results: SVC_B_TOKEN",
    }
