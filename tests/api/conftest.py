"""Projects for the Python API tests: the scaffold `llmeval init` writes, copied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCAFFOLD = REPO / "llmeval" / "scaffold" / "base"


def copy_project(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("llmeval.yaml", "apps", "prompts", "suites"):
        if (src / name).is_dir():
            shutil.copytree(src / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif (src / name).exists():
            shutil.copy(src / name, dest / name)
    return dest


def break_app(project: Path) -> None:
    """The candidate app now names Sydney as Australia's capital and forgets Kenya's."""
    app = project / "apps" / "capitals.py"
    text = app.read_text(encoding="utf-8")
    text = text.replace('"australia": "Canberra"', '"australia": "Sydney"')
    text = text.replace('"kenya": "Nairobi",', "")
    app.write_text(text, encoding="utf-8")


def gate_on_counts(project: Path) -> None:
    """Five cases are too few for a significant drop: fail on any pass -> fail flip."""
    suite = project / "suites" / "capitals.yaml"
    text = suite.read_text(encoding="utf-8")
    suite.write_text(text.replace("defaults:", "gate: {max_regressions: 0}\ndefaults:", 1))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("CI", raising=False)
    return copy_project(SCAFFOLD, tmp_path / "proj")
