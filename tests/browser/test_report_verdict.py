"""The HTML verdict, read in Chromium, is the verdict run.json and the exit code give."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

_spec = importlib.util.spec_from_file_location(
    "one_verdict", Path(__file__).parents[1] / "verdict" / "test_one_verdict.py"
)
assert _spec and _spec.loader
ov = importlib.util.module_from_spec(_spec)
sys.modules["one_verdict"] = ov  # dataclasses look their module up by name
_spec.loader.exec_module(ov)

CHOSEN = {s.name: s for s in ov.SCENARIOS}


@pytest.mark.parametrize("name", ["clean-pass", "regression-and-scorer-crash", "skipped-judge-ci"])
def test_html_verdict_in_chromium(name, tmp_path: Path, fake_server, open_report) -> None:
    sc = CHOSEN[name]
    root = tmp_path / "proj"
    env = ov._env(sc.env)
    ov.write_project(root, sc, fake_server.openai_base_url, broken=[], crash=[])
    if sc.baseline:
        assert (
            ov.cli(root, "run", "--run-id", "base", "--no-report", env=ov._env({})).returncode == 0
        )
        assert ov.cli(root, "baseline", "save", "base", env=ov._env({})).returncode == 0
    ov.write_project(root, sc, fake_server.openai_base_url, broken=sc.broken, crash=sc.crash)
    out = ov.cli(root, "run", "--run-id", "cand", "--baseline", "auto", env=env)
    assert out.returncode == ov.EXIT[sc.status], out.stderr
    manifest = json.loads((root / ".llmeval" / "runs" / "cand" / "run.json").read_text())
    rep = open_report((root / "reports" / "cand.html").read_text())
    title = rep.visible_text("#verdict-title")
    assert title.startswith(ov.HTML_TITLE[sc.status])
    shown = [li.inner_text() for li in rep.page.query_selector_all("#verdict ul.reasons li")]
    assert shown == manifest["verdict"]["reasons"]
    assert rep.page_errors == [] and rep.foreign_requests == []
