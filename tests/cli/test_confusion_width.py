"""The console's confusion matrix fits the console's width (``cli.output.console``, the
one owner of it): labels are folded into "other" until rich draws the table whole, one
line says how many, and a width too narrow for even one label gets a line, never a
squeezed table. Checked at 80 and 40 columns and through the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from llmeval.report.console import corpus_tables

LABELS = ["billing", "shipping", "returns", "account", "refunds", "technical-support",
          "cancellation", "warranty", "delivery-delay", "payment-failed", "login", "feedback"]  # fmt: skip


def _summary() -> dict:
    n = len(LABELS)
    matrix = [[10 + i if i == j else (i + j) % 3 for j in range(n)] for i in range(n)]
    cls = {"labels": LABELS, "confusion_matrix": matrix, "accuracy": 0.8, "f1_macro": 0.7,
           "f1_micro": 0.8}  # fmt: skip
    return {"groups": [{"suite": "s", "model": "m", "prompt": "p@v1",
                        "corpus": {"classification": cls}}]}  # fmt: skip


def _printed(monkeypatch: pytest.MonkeyPatch, columns: int) -> tuple[int, str]:
    from llmeval.cli.output import console

    monkeypatch.setenv("COLUMNS", str(columns))
    out = console()  # the width owner: $COLUMNS, the terminal's, or the piped width
    out.begin_capture()
    for part in corpus_tables(_summary(), width=out.width):
        out.print(part)
    return out.width, out.end_capture()


def _flat(text: str) -> str:
    return " ".join(text.replace("─", " ").split())


def test_at_80_columns_labels_fold_until_the_matrix_fits(monkeypatch: pytest.MonkeyPatch):
    width, text = _printed(monkeypatch, 80)
    assert width == 80
    assert max(map(len, text.splitlines())) <= width
    # the four most frequent labels (in label order) and "other": a fifth would not fit
    # (worked out by hand from the matrix: diagonal 10 + i, elsewhere (i + j) % 3)
    assert _flat(text) == _flat("""
        s [m p@v1]: accuracy 0.800 · macro F1 0.700 · micro F1 0.800
        rows: expected · columns: predicted
        8 of 12 labels in "other" to fit 80 columns
        delivery-delay payment-failed login feedback other (8)
        delivery-delay 18 2 · 1 8
        payment-failed 2 19 1 2 7
        login · 1 20 · 9
        feedback 1 2 · 21 8
        other (8) 8 7 9 8 164
    """)


def test_at_40_columns_one_label_and_other(monkeypatch: pytest.MonkeyPatch):
    width, text = _printed(monkeypatch, 40)
    assert width == 40
    assert max(map(len, text.splitlines())) <= width
    flat = _flat(text)
    assert '11 of 12 labels in "other" to fit 40 columns' in flat
    assert flat.endswith("feedback other (11) feedback 21 11 other (11) 11 275"), flat


def test_too_narrow_for_any_matrix_says_so(monkeypatch: pytest.MonkeyPatch):
    width, text = _printed(monkeypatch, 24)
    assert max(map(len, text.splitlines())) <= width
    assert "confusion matrix not shown: it does not fit 24 columns (see the report)" in _flat(text)
    assert "other (" not in text


def test_what_fits_is_not_folded(monkeypatch: pytest.MonkeyPatch):
    _, text = _printed(monkeypatch, 200)
    assert 'in "other"' not in text and "other (" not in text
    assert all(lab in text for lab in LABELS)


def test_the_cli_fits_the_matrix_to_columns(tmp_path: Path):
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "cls.py").write_text(
        "def answer(prompt):\n    return prompt.split()[-1]\n"
    )
    (tmp_path / "suites").mkdir()
    (tmp_path / "llmeval.yaml").write_text(yaml.safe_dump({
        "models": {"app": {"provider": "python", "target": "apps/cls.py:answer"}},
        "defaults": {"models": ["app"]}}))  # fmt: skip
    cases = [{"id": f"c{i}", "vars": {"input": f"label {lab}"}, "expected": lab}
             for i, lab in enumerate(LABELS)]  # fmt: skip
    suite = {"name": "cls", "cases": cases,
             "defaults": {"assert": [{"type": "classification"}]}}  # fmt: skip
    (tmp_path / "suites" / "cls.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    for columns in (80, 40):
        env = {**os.environ, "COLUMNS": str(columns)}
        proc = subprocess.run([sys.executable, "-m", "llmeval", "run", "--no-report"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert max(map(len, proc.stdout.splitlines())) <= columns, proc.stdout
        assert f'labels in "other" to fit {columns} columns' in _flat(proc.stdout)
        assert "rows: expected · columns: predicted" in _flat(proc.stdout)


def test_long_labels_are_clipped_shorter_when_folding_is_not_enough(
    monkeypatch: pytest.MonkeyPatch,
):
    from rich.console import Console

    from llmeval.cli.output import console

    monkeypatch.setenv("COLUMNS", "40")
    width = console().width
    long = [f"{name}-{'x' * 30}" for name in ("alpha", "beta", "gamma")]
    cls = {"labels": long, "confusion_matrix": [[5, 1, 0], [0, 6, 1], [1, 0, 7]],
           "accuracy": 0.8, "f1_macro": 0.8, "f1_micro": 0.8}  # fmt: skip
    summary = {"groups": [{"suite": "s", "model": "m", "prompt": "p@v1",
                           "corpus": {"classification": cls}}]}  # fmt: skip
    out = Console(width=width, record=True, highlight=False, file=open(os.devnull, "w"))  # noqa: SIM115
    for part in corpus_tables(summary, width=width):
        out.print(part)
    text = out.export_text()
    assert max(map(len, text.splitlines())) <= width
    flat = _flat(text)
    # one label and "other" at 32 characters do not fit 40 columns, nor at 16: at 8
    # all three fit, nothing folded
    assert "labels clipped to 8 characters to fit 40 columns" in flat, flat
    assert "alpha-x… beta-xx… gamma-x… alpha-x… 5 1 · beta-xx… · 6 1" in flat
    assert "other" not in flat
