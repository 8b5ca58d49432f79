"""Prompt, suite, dataset and schema files that are symbolic links leading outside the
project are refused at the file (exit 4 SecurityError); links inside it are fine."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmeval.config.project import load_project
from llmeval.errors import ConfigErrors, SecurityError

PROMPT = "user: 'Q: {{ question }}'\n"
SUITE = "prompt: support\ncases:\n  - id: a\n    vars: {question: q}\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "prompts" / "support").mkdir(parents=True)
    (root / "suites").mkdir()
    (root / "llmeval.yaml").write_text("defaults: {models: [echo]}\n")
    (tmp_path / "prompt.yaml").write_text(PROMPT)
    (tmp_path / "suite.yaml").write_text(SUITE)
    (tmp_path / "rows.jsonl").write_text('{"question": "q"}\n')
    return root


def _errors(root: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as e:
        load_project(root)
    assert all(isinstance(x, SecurityError) for x in e.value.errors if "link" in str(x))
    return [str(x) for x in e.value.errors]


def test_prompt_link_outside(root: Path) -> None:
    (root / "prompts" / "support" / "v1.yaml").symlink_to(root.parent / "prompt.yaml")
    (root / "suites" / "s.yaml").write_text(SUITE)
    errors = _errors(root)
    assert errors[0].startswith("prompts/support/v1.yaml:1:1: ")
    assert "symbolic link" in errors[0] and "outside the project" in errors[0]


def test_prompt_folder_link_outside(root: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "v1.yaml").write_text(PROMPT)
    (root / "prompts" / "other").symlink_to(tmp_path / "elsewhere")
    (root / "prompts" / "support" / "v1.yaml").write_text(PROMPT)
    (root / "suites" / "s.yaml").write_text(SUITE)
    assert any(e.startswith("prompts/other/v1.yaml:1:1: ") for e in _errors(root))


def test_suite_link_outside(root: Path) -> None:
    (root / "prompts" / "support" / "v1.yaml").write_text(PROMPT)
    (root / "suites" / "s.yaml").symlink_to(root.parent / "suite.yaml")
    assert _errors(root)[0].startswith("suites/s.yaml:1:1: ")


def test_dataset_link_outside(root: Path) -> None:
    (root / "prompts" / "support" / "v1.yaml").write_text(PROMPT)
    (root / "suites" / "s.yaml").write_text("prompt: support\ndataset: rows.jsonl\n")
    (root / "suites" / "rows.jsonl").symlink_to(root.parent / "rows.jsonl")
    assert _errors(root)[0].startswith("suites/s.yaml:2:")


def test_links_inside_the_project_are_followed(root: Path) -> None:
    (root / "prompts" / "support" / "real.txt").write_text(PROMPT)
    (root / "prompts" / "support" / "v1.yaml").symlink_to(root / "prompts" / "support" / "real.txt")
    (root / "shared.yaml").write_text(SUITE)
    (root / "suites" / "s.yaml").symlink_to(root / "shared.yaml")
    project = load_project(root)
    (suite,) = project.suites.values()
    assert [c.id for c in suite.cases] == ["a"]
