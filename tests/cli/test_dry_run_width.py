"""``--dry-run`` prints through the CLI's one console (``cli.output``): at COLUMNS=80 no
line is wider than 80 and no model alias or figure is cut; a long alias turns the table
into a block per model; piped without COLUMNS it gets the piped width, like ``run``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_cli_e2e import llmeval

from llmeval.cli.output import PIPED_WIDTH

LONG = "support-bot-with-a-very-long-alias-for-the-staging-cluster"


def _project(root: Path, tmp_path: Path, alias: str) -> Path:
    out = llmeval("init", str(root), cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    cfg = yaml.safe_load((root / "llmeval.yaml").read_text())
    cfg["models"][alias] = {"provider": "openai", "model": "gpt-4o-mini",
                            "price": {"input_per_mtok": 150.0, "output_per_mtok": 600.0}}  # fmt: skip
    cfg["defaults"]["models"] = ["capitals-app", alias]
    (root / "llmeval.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    return root


def _dry_run(root: Path, columns: str | None) -> list[str]:
    env = {"OPENAI_API_KEY": "sk-test-dryrun-0000", "COLUMNS": columns or ""}
    out = llmeval("run", "--dry-run", cwd=root, env=env)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout.splitlines()


@pytest.mark.parametrize("alias", ["gpt-mini", LONG])
def test_dry_run_fits_80_columns_and_cuts_nothing(tmp_path: Path, alias: str) -> None:
    lines = _dry_run(_project(tmp_path / "p", tmp_path, alias), "80")
    assert max(len(ln.rstrip()) for ln in lines) <= 80, "\n".join(lines)
    text = "\n".join(lines)
    assert "…" not in text
    assert any(ln.strip().startswith(alias) for ln in lines), text  # whole, on one line
    assert "capitals-app" in text and "$" in text
    if alias == LONG:  # too wide for the table: a block per model, figures under it
        assert not any("est. cost" in ln and "tokens in" in ln and "model" in ln for ln in lines)
        assert any("results 5" in ln for ln in lines)
    else:
        header = next(ln for ln in lines if ln.lstrip().startswith("model"))
        assert "tokens in" in header and "est. cost" in header


def test_piped_dry_run_uses_the_piped_width(tmp_path: Path) -> None:
    lines = _dry_run(_project(tmp_path / "p", tmp_path, LONG), None)
    header = next(ln for ln in lines if ln.lstrip().startswith("model"))
    assert "est. cost" in header  # the table fits the piped width
    assert max(len(ln.rstrip()) for ln in lines) <= PIPED_WIDTH
