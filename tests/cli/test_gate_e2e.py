"""Baselines and the gate through the CLI: save, compare, fail only on a real regression."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from test_cli_e2e import llmeval

APP = """
BROKEN = set({broken!r})
def answer(vars):
    n = vars["n"]
    return "wrong" if n in BROKEN else f"answer {{n}}"
"""


def write_project(root: Path, n: int = 60, critical: int | None = None) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "llmeval.yaml").write_text(
        "models:\n  app:\n    provider: python\n    target: app.py:answer\n"
        "defaults:\n  models: [app]\n"
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


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    root = tmp_path / "p"
    write_project(root, critical=59)
    assert llmeval("run", "--run-id", "base", cwd=root).returncode == 0
    out = llmeval("baseline", "save", "base", cwd=root)
    assert out.returncode == 0, out.stderr
    return root


def test_baseline_is_stable_and_sorted(proj: Path):
    first = (proj / "suites" / "baselines" / "qa.json").read_bytes()
    assert llmeval("baseline", "save", "base", cwd=proj).returncode == 0
    assert (proj / "suites" / "baselines" / "qa.json").read_bytes() == first
    doc = json.loads(first)
    ids = [e["case_id"] for e in doc["entries"]]
    assert ids == sorted(ids)


def test_no_change_passes(proj: Path):
    out = llmeval("run", "--baseline", "auto", "--json", cwd=proj)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["verdict"]["passed"] and data["comparison"]["counts"]["regressed"] == 0


def test_real_regression_fails_with_reasons_markdown_and_junit(proj: Path):
    set_broken(proj, list(range(12)))  # 12 of 60 flip pass -> fail
    md, xml = proj / "summary.md", proj / "junit.xml"
    out = llmeval("run", "--baseline", "auto", "--markdown", str(md), "--junit", str(xml), cwd=proj)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "pass_rate dropped" in out.stdout
    text = md.read_text()
    assert text.index("c0") < text.index("Totals") if "Totals" in text else "c0" in text
    suite = ET.parse(xml).getroot()
    cases = suite.find("./testsuite[@name='qa']")
    assert len(cases.findall("testcase")) == 60
    assert len(cases.findall(".//failure")) == 12
    # and the gate itself, as one more testcase, failed with the verdict's reasons
    gate = suite.find("./testsuite[@name='llmeval.gate']/testcase/failure")
    assert gate is not None and "pass_rate dropped" in (gate.text or "")


def test_one_flip_is_noise_but_critical_flip_fails(proj: Path):
    set_broken(proj, [3])
    assert llmeval("run", "--baseline", "auto", cwd=proj).returncode == 0
    set_broken(proj, [59])
    out = llmeval("run", "--baseline", "auto", cwd=proj)
    assert out.returncode == 1
    assert "critical case qa/c59" in out.stdout


def test_diff_command_exit_codes_and_json(proj: Path):
    set_broken(proj, list(range(12)))
    assert llmeval("run", "--run-id", "cand", cwd=proj).returncode == 0  # 80% >= 50% floor
    out = llmeval("diff", "suites/baselines/qa.json", "cand", "--json", cwd=proj)
    assert out.returncode == 1
    data = json.loads(out.stdout)
    regressed = sorted(c["case_id"] for c in data["cases"] if c["change"] == "regressed")
    assert regressed == sorted(f"c{i}" for i in range(12))
    html = proj / "cmp.html"
    assert llmeval("diff", "base", "cand", "--html", str(html), cwd=proj).returncode == 1
    assert html.read_text()[:200].lower().lstrip().startswith("<!doctype html")


def test_changed_shared_assertions_refused_before_any_call(proj: Path):
    suite = proj / "suites" / "qa.yaml"
    suite.write_text(
        suite.read_text().replace(
            "min_pass_rate: 0.5\n",
            "min_pass_rate: 0.5\ndefaults:\n  assert:\n    - type: word-count\n      value: {max: 50}\n",
        )
    )
    runs_before = set((proj / ".llmeval" / "runs").iterdir())
    out = llmeval("run", "--baseline", "auto", cwd=proj)
    assert out.returncode == 4
    assert "assertions changed" in out.stderr and "Nothing was run" in out.stderr
    assert set((proj / ".llmeval" / "runs").iterdir()) == runs_before
    assert llmeval("run", "--baseline", "auto", "--allow-changed-judge", cwd=proj).returncode == 0


def test_baseline_that_pairs_with_nothing_fails_the_gate(proj: Path):
    cfg = proj / "llmeval.yaml"
    cfg.write_text(cfg.read_text().replace("  app:", "  renamed:").replace("[app]", "[renamed]"))
    out = llmeval("run", "--baseline", "auto", cwd=proj)
    assert out.returncode == 1
    assert "shares no case" in out.stdout


def test_loosened_case_assertion_compares_as_new_and_is_reported(proj: Path):
    """A critical case that breaks while its own check is loosened must not pass silently
    as 'unchanged': it is compared as new, and the change is named."""
    set_broken(proj, [5])
    suite = proj / "suites" / "qa.yaml"
    suite.write_text(suite.read_text().replace("value: answer 5\n", "value: wrong\n"))
    out = llmeval("run", "--baseline", "auto", "--json", cwd=proj)
    data = json.loads(out.stdout)
    assert any("changed for 1 case(s) in suite qa" in c for c in data["comparison"]["changes"])
    change = {c["case_id"]: c["change"] for c in data["comparison"]["cases"]}
    assert change["c5"] == "new"
