"""A python target runs in a key-less worker: no provider key in its environment, none
readable through its parent's /proc files, only what ``pass_env`` lists."""

from __future__ import annotations

import json
from pathlib import Path

from targets_project import CANARY, cli_env, journal, llmeval, write_project, written

SPY = '''
import json, os


def answer(vars):
    """Everything a hostile target can reach: its env and its parent's /proc files."""
    with open(f"/proc/{os.getppid()}/environ", "rb") as fh:
        parent = fh.read().decode("utf-8", "replace")
    try:
        open(f"/proc/{os.getppid()}/mem", "rb").close()
        mem = "open"
    except OSError:
        mem = "denied"
    own = json.dumps(dict(os.environ))
    print("spy was here")  # a target's print: stderr, never the protocol
    return json.dumps({
        "own_canary": "sk-canary" in own,
        "parent_canary": "sk-canary" in parent,
        "own_names": sorted(k for k in os.environ if k.endswith(("_KEY", "_TOKEN"))),
        "mem": mem,
        "app_key": os.environ.get("APP_SERVICE_KEY"),
        "parent_pid": os.getppid(),
    })
'''


def test_a_target_finds_no_key_in_its_env_nor_through_proc(tmp_path: Path) -> None:
    root = write_project(tmp_path, SPY, cases=["a"])
    proc = llmeval(root, "run", "--run-id", "spy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (line,) = journal(root, "spy")
    seen = json.loads(line["output"])
    assert seen["own_canary"] is False and seen["own_names"] == []
    assert seen["parent_canary"] is False  # llmeval sealed its /proc environ
    assert seen["mem"] == "denied"
    assert seen["app_key"] is None
    assert "spy was here" in proc.stderr and "spy was here" not in line["output"]


def test_pass_env_passes_exactly_the_listed_names_and_keeps_them_secret(tmp_path: Path) -> None:
    app_key = "svc-" + "7" * 24
    listed = {"pass_env": ["APP_SERVICE_KEY", "BACKEND_API_KEY"]}
    root = write_project(tmp_path, SPY, cases=["a"], model=listed)
    env = cli_env(
        APP_SERVICE_KEY=app_key,  # no key-like name: the listing alone makes it a secret
        BACKEND_API_KEY="be-" + "9" * 24,
        OTHER_SERVICE_API_KEY="other-" + "8" * 24,  # key-like, not listed: not passed
    )
    proc = llmeval(root, "run", "--run-id", "pass", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (line,) = journal(root, "pass")
    seen = json.loads(line["output"])
    assert seen["own_names"] == ["APP_SERVICE_KEY", "BACKEND_API_KEY"]  # no provider key
    assert seen["own_canary"] is False
    assert seen["app_key"] == "[REDACTED]"  # handed over, and still a secret in the output
    for path in written(root):
        data = path.read_bytes()
        for secret in (app_key, CANARY):
            assert secret.encode() not in data, path


def test_pass_env_is_validated_with_its_location(tmp_path: Path) -> None:
    root = write_project(tmp_path, SPY)
    config = root / "llmeval.yaml"
    config.write_text(
        "models:\n"
        "  app:\n"
        "    provider: python\n"
        "    target: apps/app.py:answer\n"
        "    pass_env: [OK_NAME, not a name]\n"
        "defaults: {models: [app]}\n"
    )
    proc = llmeval(root, "validate")
    assert proc.returncode == 4
    assert "llmeval.yaml:5:" in proc.stderr and "'not a name'" in proc.stderr
    assert "Traceback" not in proc.stderr
    config.write_text(
        "models:\n"
        "  app:\n"
        "    provider: openai\n"
        "    model: gpt-4o-mini\n"
        "    pass_env: [OK_NAME]\n"
        "defaults: {models: [app]}\n"
    )
    proc = llmeval(root, "validate")
    assert proc.returncode == 4
    assert "llmeval.yaml:5:5: 'pass_env' is for python targets" in proc.stderr
