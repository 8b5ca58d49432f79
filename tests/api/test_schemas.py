"""What the bundled suites write validates against ``llmeval schema results|run``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import REPO, copy_project

import llmeval
from llmeval.store.schema import results_json_schema, run_json_schema

Validator = jsonschema.Draft202012Validator


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own project, run twice: a full run, then one suite gated on it."""
    project = copy_project(REPO, tmp_path_factory.mktemp("bundled"))
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("CI", raising=False)
        for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
            mp.delenv(name, raising=False)
        llmeval.run(project, run_id="base")
        cand = llmeval.run(project, suites="support-faq", run_id="cand", baseline="base")
    assert cand.comparison is not None and cand.comparison.cases
    return project


def _lines(project: Path, run_id: str) -> list[dict[str, Any]]:
    path = project / ".llmeval" / "runs" / run_id / "results.jsonl"
    return [json.loads(ln) for ln in path.read_text(encoding="utf-8").splitlines()]


def _manifest(project: Path, run_id: str) -> dict[str, Any]:
    return json.loads((project / ".llmeval" / "runs" / run_id / "run.json").read_text("utf-8"))


def _errors(schema: dict[str, Any], doc: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in Validator(schema).iter_errors(doc)]


def test_the_schemas_are_valid_json_schemas() -> None:
    for schema in (results_json_schema(), run_json_schema()):
        Validator.check_schema(schema)


def test_every_journal_line_validates(bundled: Path) -> None:
    schema = results_json_schema()
    lines = _lines(bundled, "base") + _lines(bundled, "cand")
    assert len(lines) > 100
    # the bundled suites cover pass, fail and skipped assertions (judge without a key)
    statuses = {a["status"] for ln in lines for a in ln["assertions"]}
    assert {"pass", "fail", "skipped"} <= statuses
    for line in lines:
        assert _errors(schema, line) == [], (line["suite"], line["case_id"])


def test_run_json_validates_with_and_without_a_comparison(bundled: Path) -> None:
    schema = run_json_schema()
    base, cand = _manifest(bundled, "base"), _manifest(bundled, "cand")
    assert base["comparison"] is None and cand["comparison"]["cases"]
    for manifest in (base, cand):
        assert _errors(schema, manifest) == []
    # what run.json holds before the first call (a run killed early) validates too
    keys = list(schema["required"])
    early = {k: base[k] for k in keys} | {"status": "running"}
    assert _errors(schema, early) == []


def test_the_schemas_reject_what_a_run_does_not_write(bundled: Path) -> None:
    results, run = results_json_schema(), run_json_schema()
    line = _lines(bundled, "base")[0]
    assert _errors(results, {**line, "unknown_key": 1})  # one shape: nothing outside it
    without_passed = {**line, "assertions": [dict(line["assertions"][0])]}
    del without_passed["assertions"][0]["passed"]
    assert _errors(results, without_passed)
    assert _errors(results, {**line, "status": "ok"})
    assert _errors(results, {k: v for k, v in line.items() if k != "latency_ms"})
    manifest = _manifest(bundled, "cand")
    assert _errors(run, {**manifest, "verdict": {**manifest["verdict"], "status": "green"}})
    assert _errors(run, {k: v for k, v in manifest.items() if k != "selection"})
    assert _errors(run, {**manifest, "summary": {"groups": [{"n": "five"}]}})
    assert _errors(run, {**manifest, "extra_key": 1}) == []  # run.json may grow


def test_schema_command_prints_them() -> None:
    for kind, build in (("results", results_json_schema), ("run", run_json_schema)):
        out = subprocess.run(
            [sys.executable, "-m", "llmeval", "schema", kind],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout) == build()
