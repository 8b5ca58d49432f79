"""Confusion matrices stay bounded in the console and the report: at most the
classification's ``max_labels`` labels (default 12), the rest summed as "other", each
label clipped with ``llmeval.text.clip``'s visible marker; a bad ``max_labels`` is a
config error at its line."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from llmeval import api
from llmeval.report.console import LABEL_CHARS, corpus_tables
from llmeval.report.html import render_html
from llmeval.report.html_view import REPORT_LABEL_CHARS

LONG = "refund-request-for-a-damaged-item-that-arrived-late-and-was-the-wrong-colour-too"
LABELS = [LONG, "billing", "shipping", "returns", "account", "other-topic"]


def _project(root: Path, **options: object) -> Path:
    (root / "apps").mkdir(parents=True)
    (root / "apps" / "cls.py").write_text("def answer(prompt):\n    return prompt.split()[-1]\n")
    (root / "prompts" / "q").mkdir(parents=True)
    (root / "prompts" / "q" / "v1.yaml").write_text("user: 'label {{ label }}'\n")
    (root / "suites").mkdir()
    (root / "llmeval.yaml").write_text(yaml.safe_dump({
        "models": {"app": {"provider": "python", "target": "apps/cls.py:answer"}},
        "defaults": {"models": ["app"]}}))  # fmt: skip
    # the long label is the most frequent; one case of it is answered "billing"
    cases = [{"id": f"c{i}", "vars": {"label": lab}, "expected": lab}
             for i, lab in enumerate(LABELS * 2 + [LONG, LONG])]  # fmt: skip
    cases.append({"id": "wrong", "vars": {"label": "billing"}, "expected": LONG})
    suite = {"name": "cls", "prompt": "q@v1", "min_pass_rate": 0.5, "cases": cases,
             "defaults": {"assert": [{"type": "classification", **options}]}}  # fmt: skip
    (root / "suites" / "cls.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return root


def _console(summary: dict) -> str:
    from rich.console import Console

    con = Console(width=160, record=True, highlight=False)  # the piped width
    for t in corpus_tables(summary):
        con.print(t)
    return con.export_text()


def _report_labels(page: str) -> list[str]:
    table = page[page.index('<table class="compact confusion') :]
    head = table[table.index("<thead>") : table.index("</thead>")].replace("<wbr>", "")
    return [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th>(.*?)</th>", head)][1:]


@pytest.mark.parametrize(("options", "shown"), [({}, 6), ({"max_labels": 3}, 3)])
def test_matrix_labels_are_capped_and_clipped_in_console_and_report(
    tmp_path: Path, options: dict, shown: int
) -> None:
    run = api.run(_project(tmp_path, **options), write=False)
    summary = run.manifest["summary"]
    cls = summary["groups"][0]["corpus"]["classification"]
    assert len(cls["labels"]) == 6  # run.json keeps every label; only the views fold
    text = _console(summary)
    clipped = LONG[: LABEL_CHARS - 1] + "…"
    assert clipped in text and LONG not in text
    page = render_html(run.results, run.manifest)
    labels = _report_labels(page)
    assert len(labels) == shown
    assert LONG[: REPORT_LABEL_CHARS - 1] + "…" in labels
    if shown == 3:  # the two most frequent, in label order, then the other four summed
        assert labels == ["billing", LONG[: REPORT_LABEL_CHARS - 1] + "…", "other (4)"]
        assert "other (4)" in text and "shipping" not in text
        header = next(ln for ln in text.splitlines() if "other (4)" in ln)
        assert header.count("…") == 1 and "billing" in header
        assert "<dt>max_labels</dt>" not in page.replace("<wbr>", "")  # a setting, not a figure
    else:
        assert "other (" not in text and "shipping" in labels


@pytest.mark.parametrize("bad", [1, "3", True])
def test_a_bad_max_labels_is_a_config_error_at_its_line(tmp_path: Path, bad: object) -> None:
    root = _project(tmp_path, max_labels=bad)
    proc = subprocess.run([sys.executable, "-m", "llmeval", "validate"], cwd=root,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert re.search(r"cls\.yaml:\d+:\d+: .*'max_labels' must be a whole number", proc.stderr)
