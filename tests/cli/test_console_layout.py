"""The console fits the terminal: at 80, 100 and 120 columns and piped, no suite, model,
prompt or case id and no failure reason is cut; every failing assertion is listed.

The bundled suites run offline in a temporary copy of the repository's project; their
console is rendered through rich's recording console at each width (``print_run``, as
``llmeval run`` prints it) and captured from the real CLI through a pipe.
"""

from __future__ import annotations

import io
import re
import shutil
import textwrap
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from test_cli_e2e import llmeval

from llmeval.domain.record import ERROR, FAIL, AssertionResult, CaseResult
from llmeval.text import visible

REPO = Path(__file__).resolve().parents[2]
WIDTHS = (80, 100, 120)
REASON_CHARS = 500  # a reason up to this long is shown whole (issue 12)
_BOX = re.compile(r"[─━│┃┌┐└┘├┤┬┴┼╭╮╯╰═║]")


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bundled")
    for name in ("llmeval.yaml", "suites", "prompts", "apps"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, root / name)
    return root


@pytest.fixture(scope="module")
def run(bundled: Path) -> Any:
    from llmeval.api import run as run_project

    result = run_project(bundled, run_id="layout", ci=False)
    assert any(r.status in (FAIL, ERROR) for r in result.results), "honest failures exist"
    return result


def test_every_failed_result_of_the_bundled_run_is_listed(run: Any) -> None:
    from llmeval.report.console_failures import CASES

    assert sum(1 for r in run.results if r.status in (FAIL, ERROR)) <= CASES


def _render(run: Any, width: int) -> str:
    from rich.console import Console

    from llmeval.cli.show import print_run

    out = Console(width=width, record=True, file=io.StringIO(), highlight=False)
    err = Console(width=width, file=io.StringIO())
    report = SimpleNamespace(
        run_id=run.run_id,
        results=list(run.results),
        manifest=run.manifest,
        not_run=run.manifest["counts"]["not_run"],
    )
    print_run(report, run.verdict, None, [], {}, out=out, con=err)
    return out.export_text()


def _flat(text: str) -> str:
    """The console text as one line: box characters dropped, whitespace collapsed."""
    return " ".join(_BOX.sub(" ", text).split())


def _whole_on_a_line(token: str, text: str) -> bool:
    pat = re.compile(rf"(?<![\w.@-]){re.escape(token)}(?![\w.@-])")
    return any(pat.search(line) for line in text.splitlines())


def _reasons(r: CaseResult) -> list[str]:
    out = [f"{r.error.kind} {r.error.message}"] if r.error is not None else []
    out += [a.reason for a in r.assertions if a.status == FAIL and a.reason]
    return out


def check_whole(text: str, results: list[CaseResult], groups: list[dict], width: int) -> None:
    lines = text.splitlines()
    assert all(len(ln.rstrip()) <= width for ln in lines), "a line is wider than the console"
    assert not re.search(r"\w…", text), "something was cut with an ellipsis"
    flat = _flat(text)
    for g in groups:
        for key in ("suite", "model", "prompt"):
            assert _whole_on_a_line(g[key], text), (width, key, g[key])
    for r in results:
        if r.status not in (FAIL, ERROR):
            continue
        for token in (r.suite, r.model, r.prompt, r.case_id):
            assert _whole_on_a_line(token, text), (width, r.case_id, token)
        for reason in _reasons(r):
            assert len(reason) <= REASON_CHARS
            assert _flat(visible(reason)) in flat, (width, r.case_id, reason)


@pytest.mark.parametrize("width", WIDTHS)
def test_bundled_run_console_keeps_every_id_and_reason_whole(run: Any, width: int) -> None:
    text = _render(run, width)
    check_whole(text, list(run.results), run.manifest["summary"]["groups"], width)
    # the verdict's own reasons and notes, as the gate wrote them
    for line in [r.message for r in run.verdict.reasons] + list(run.verdict.notes):
        assert _flat(visible(line)) in _flat(text), line


def test_layout_follows_the_width(run: Any) -> None:
    # a table where it fits, a block per group where it does not; never a cut id
    narrow, wide = _render(run, 80), _render(run, 160)
    assert "pass rate [95% CI]" in wide and "pass rate [95% CI]" not in narrow
    assert re.search(r"^\s+\d+ passed, \d+ failed · ", narrow, re.M)


@pytest.mark.parametrize("columns", ["", "80"])
def test_piped_cli_keeps_every_id_and_reason_whole(bundled: Path, run: Any, columns: str) -> None:
    # COLUMNS empty: a pipe with no width given (160 columns, CI logs are wide)
    env = {"CI": "", "COLUMNS": columns}
    out = llmeval("run", "--no-report", "--run-id", f"piped{columns}", cwd=bundled, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    from llmeval.config.settings import load_settings
    from llmeval.store.project import ProjectStore

    stored = ProjectStore(bundled, load_settings(bundled)).load_run(f"piped{columns}")
    width = int(columns) if columns else 160
    check_whole(out.stdout, list(stored.results), stored.meta["summary"]["groups"], width)


def _project(tmp_path: Path, suite: str, files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "p"
    (root / "prompts" / "echoer").mkdir(parents=True)
    (root / "prompts" / "echoer" / "v1.yaml").write_text("user: '{{ text }}'\n")
    (root / "suites").mkdir()
    (root / "llmeval.yaml").write_text("defaults: {models: [echo]}\n")
    (root / "suites" / "s.yaml").write_text(textwrap.dedent(suite))
    for name, body in (files or {}).items():
        (root / name).write_text(body)
    return root


def test_seven_failing_assertions_show_five_and_a_count(tmp_path: Path) -> None:
    checks = "".join(f"      - {{type: icontains, value: missing-{i}}}\n" for i in range(1, 8))
    root = _project(
        tmp_path,
        "prompt: echoer\ncases:\n  - id: many\n    vars: {text: hi}\n    assert:\n" + checks,
    )
    out = llmeval("run", "--no-report", cwd=root, env={"COLUMNS": "80"})
    assert out.returncode == 1, out.stderr
    for i in range(1, 6):
        assert f'output does not contain "missing-{i}"' in out.stdout, out.stdout
    assert "missing-6" not in out.stdout and "missing-7" not in out.stdout
    assert "+2 more" in out.stdout


def test_a_latency_failure_does_not_hide_the_icontains_failure(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        """\
        prompt: echoer
        models: ['python:slow.py:answer']
        cases:
          - id: slow-and-wrong
            vars: {text: hi}
            assert:
              - {type: latency, threshold: 1}
              - {type: icontains, value: thirty days}
        """,
        {"slow.py": "import time\ndef answer(vars):\n    time.sleep(0.05)\n    return 'no'\n"},
    )
    for columns in ("80", "120"):
        out = llmeval("run", "--no-report", cwd=root, env={"COLUMNS": columns})
        assert out.returncode == 1, out.stderr
        text = _flat(out.stdout)
        assert "slow-and-wrong" in text
        assert re.search(r"latency [^·]*ms", text), out.stdout
        assert 'icontains output does not contain "thirty days"' in text, out.stdout


def test_diff_regression_rows_show_the_candidates_reasons(tmp_path: Path) -> None:
    root = _project(
        tmp_path,
        """\
        prompt: echoer
        models: ['python:bot.py:answer']
        cases:
          - id: refund-window-for-returned-items
            critical: true
            vars: {text: refund}
            assert:
              - {type: icontains, value: 30 days}
          - id: steady
            vars: {text: other}
            assert:
              - {type: icontains, value: ok}
        """,
        {"bot.py": "def answer(vars):\n    return 'ok, 30 days'\n"},
    )
    assert llmeval("run", "--no-report", "--run-id", "base", cwd=root).returncode == 0
    (root / "bot.py").write_text("def answer(vars):\n    return 'ok, 14 days'\n")
    assert llmeval("run", "--no-report", "--run-id", "cand", cwd=root).returncode == 1
    for columns in ("80", "120", ""):
        out = llmeval("diff", "base", "cand", cwd=root, env={"COLUMNS": columns})
        assert out.returncode == 1, out.stderr
        rows = [ln for ln in out.stdout.splitlines() if "regressed" in ln]
        assert any(_whole_on_a_line("refund-window-for-returned-items", ln) for ln in rows)
        assert 'icontains output does not contain "30 days"' in _flat(out.stdout), out.stdout


def test_control_characters_in_ids_and_reasons_stay_visible() -> None:
    from rich.console import Console

    from llmeval.report.console_failures import failures_view

    r = CaseResult(
        run_id="r",
        suite="s\x1b[31m",
        case_id="case\u202eid",
        model="m",
        prompt="p@v1",
        prompt_sha="x",
        repeat=0,
        status=FAIL,
        score=0.0,
        output="",
        assertions=(AssertionResult("icontains", FAIL, 0.0, "bad\x07 " + "x" * 900),),
    )
    con = Console(width=80, record=True, file=io.StringIO())
    con.print(failures_view([r], 80))
    text = con.export_text()
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "case\\u202eid" in text and "s\\x1b[31m" in text
    assert "[+" in text and len(text) < 4000  # a long reason is clipped by text.clip


def test_long_ids_fall_back_to_blocks_and_stay_whole() -> None:
    from rich.console import Console

    from llmeval.report.console_summary import summary_view

    group = {
        "suite": "customer-support-escalation-" + "x" * 30,
        "model": "openai:gpt-4o-mini-2024-07-18-finetuned",
        "prompt": "support-escalation-triage@v12",
        "passed": 3,
        "failed": 1,
        "errors": 1,
        "skipped": 0,
        "not_run": 2,
        "pass_rate": 0.6,
        "pass_rate_ci": [0.2, 0.9],
        "min_pass_rate": 0.8,
        "mean_score": 0.5,
        "latency_p50": 812.0,
        "cost_usd": 0.0123,
    }
    summary = {"groups": [group], "totals": {**group, "suite": "", "model": "", "prompt": ""}}
    for width in (*WIDTHS, 160):
        con = Console(width=width, record=True, file=io.StringIO())
        con.print(summary_view(summary, width))
        text = con.export_text()
        for key in ("suite", "model", "prompt"):
            assert _whole_on_a_line(group[key], text), (width, key)
        assert "1+2nr" in text or "2 not run" in text  # not-run results are never hidden
        assert not re.search(r"\w…", text)
