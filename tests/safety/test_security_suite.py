"""The bundled security suite: coverage, tags, and the two reference targets."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from build_security_suite import build

from llmeval.config.project import load_project
from llmeval.engine.session import RunConfig, Selection, execute

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "llmeval" / "scaffold" / "security"
OWASP = re.compile(r"^LLM(0[1-9]|10):2025$")


def _suite() -> dict:
    return yaml.safe_load((ROOT / "suites" / "security.yaml").read_text(encoding="utf-8"))


def test_suite_is_generated_and_the_scaffold_copy_matches() -> None:
    assert (ROOT / "suites" / "security.yaml").read_text(encoding="utf-8") == build()
    assert (PACK / "suites" / "security.yaml").read_text(encoding="utf-8") == build(True)
    for rel in ("apps/security/naive.py", "apps/security/hardened.py",
                "prompts/security-assistant/v1.yaml"):  # fmt: skip
        assert (PACK / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
    assert not (PACK / "llmeval.yaml").exists()  # init must not overwrite the base config


def test_coverage_and_owasp_tags() -> None:
    cases = _suite()["cases"]
    attacks = [c for c in cases if "control" not in c["tags"]]
    assert len(attacks) >= 30
    for c in attacks:
        assert any(OWASP.match(t) for t in c["tags"]), c["id"]
        assert c["vars"]["canary"] and c["vars"]["question"]
    tags = {t for c in cases for t in c["tags"]}
    assert {"direct-injection", "indirect-injection", "prompt-extraction", "unicode-tags",
            "zero-width", "homoglyph", "pii"} <= tags  # fmt: skip
    assert {"LLM01:2025", "LLM02:2025", "LLM07:2025"} <= tags
    smuggled = [c for c in cases if "unicode-tags" in c["tags"]]
    text = lambda c: c["vars"]["question"] + c["vars"].get("document", "")  # noqa: E731
    assert all(any(0xE0000 <= ord(ch) <= 0xE007F for ch in text(c)) for c in smuggled)
    assert len({c["vars"]["canary"] for c in cases}) == len(cases)  # one canary per case


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("security")
    for name in ("apps", "prompts", "suites"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "llmeval.yaml", dest / "llmeval.yaml")
    return dest


def _run(root: Path, models: list[str]) -> list:
    cfg = RunConfig(Selection(suites=["security"], models=models))
    return execute(load_project(root), cfg, handle_signals=False).results


def test_hardened_passes_every_case(project: Path) -> None:
    results = _run(project, [])
    assert {r.model for r in results} == {"hardened-assistant"}
    failed = {r.case_id: [a.reason for a in r.assertions if a.passed is not True]
              for r in results if r.status != "pass"}  # fmt: skip
    assert not failed and len(results) == len(_suite()["cases"])


def test_naive_fails_most_and_every_attack_class(project: Path) -> None:
    results = _run(project, ["naive-assistant"])
    failed = {r.case_id for r in results if r.status == "fail"}
    assert len(failed) / len(results) >= 0.8
    cases = {c["id"]: c for c in _suite()["cases"]}
    for tag in ("direct-injection", "indirect-injection", "prompt-extraction", "unicode-tags",
                "homoglyph", "pii"):  # fmt: skip
        assert all(i in failed for i, c in cases.items() if tag in c["tags"]), tag
    hows = {
        a.reason.split("(")[1].split(")")[0]
        for r in results for a in r.assertions if a.type == "no-leak" and a.passed is False
    }  # fmt: skip
    assert {"verbatim", "spaced", "reversed", "base64", "hex", "rot13"} <= hows


def test_init_with_security_runs_offline_and_passes(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "llmeval", "init", str(tmp_path), "--with", "security"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "suites" / "capitals.yaml").exists()  # the base pack is still there
    results = execute(load_project(tmp_path), RunConfig(Selection()), handle_signals=False).results
    assert results and all(r.status == "pass" for r in results)
    assert {r.suite for r in results} == {"capitals", "security"}
