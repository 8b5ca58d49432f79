"""Running imported promptfoo fixtures offline (shared by the verdict tests).

``_imported`` imports a fixture; with ``canned`` its models answer from a table (keyed
by a var's value) instead of echoing, and with ``judge`` a python judge (a function of
the judge's messages, given as source) grades the judge-based assertions.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from llmeval.config.project import load_project
from llmeval.importers.promptfoo import convert, find_config, write

FIXTURES = Path(__file__).parent / "fixtures"


def _run(project: Path) -> dict[tuple[str, str], str]:
    """``llmeval run`` offline; {(case id, prompt): status}."""
    out = subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "--no-report"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CI": "1"},
    )
    assert out.returncode in (0, 1, 3), out.stderr  # 3: judge checks skipped offline
    journal = next((project / ".llmeval" / "runs").glob("*/results.jsonl"))
    rows = [json.loads(line) for line in journal.read_text().splitlines()]
    return {(r["case_id"], r["prompt"].split("@")[0]): r["status"] for r in rows}


def _imported(
    name: str,
    tmp_path: Path,
    canned: dict[str, str] | None = None,
    *,
    cost: float | None = None,
    judge: str | None = None,
) -> Path:
    """Import offline; with ``canned``, the model answers from the table (keyed by a
    var's value) instead of echoing, reporting ``cost`` when given; with ``judge``
    (python source defining ``grade(messages)``), that function is the judge."""
    imported = convert(find_config(FIXTURES / name), offline=True)
    write(imported, tmp_path)
    settings = imported.settings
    if canned is not None:
        ret = "text" if cost is None else f"{{'output': text, 'cost': {cost!r}}}"
        (tmp_path / "canned.py").write_text(
            f"TABLE = {canned!r}\n\n\ndef answer(vars):\n"
            "    text = next(TABLE[v] for v in vars.values() if v in TABLE)\n"
            f"    return {ret}\n"
        )
        stand_in = {"provider": "python", "target": "canned.py:answer"}
        settings["models"] = {a: stand_in for a in settings["models"]}
    if judge is not None:
        (tmp_path / "judge.py").write_text(judge)
        settings["models"]["judge"] = {"provider": "python", "target": "judge.py:grade"}
        settings["defaults"]["judge"] = "judge"
    if canned is not None or judge is not None:
        from llmeval.importers.promptfoo.writer import dump

        cfg = tmp_path / "llmeval.yaml"
        cfg.write_text(cfg.read_text().split("\n", 1)[0] + "\n" + dump(settings))
    return tmp_path


def _by_vars(project: Path, statuses: dict[tuple[str, str], str], var: str) -> dict[str, set]:
    """{value of ``var``: the set of statuses over prompts} for readable expectations."""
    suite = next(iter(load_project(project).suites.values()))
    ids = {c.id: str(c.vars.get(var)) for c in suite.cases}
    out: dict[str, set] = {}
    for (cid, _prompt), status in statuses.items():
        out.setdefault(ids[cid], set()).add(status)
    return out
