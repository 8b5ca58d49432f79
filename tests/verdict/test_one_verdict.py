"""One verdict everywhere: a matrix of runs, and every surface must say the same thing.

For each scenario the expected verdict is written by hand (the oracle); the test then
checks that the exit code of ``run --baseline auto``, its ``--json``, run.json, the
markdown heading, the JUnit gate testcase, the HTML report written by the run and the
one ``llmeval report`` rewrites, ``llmeval diff`` against the same baseline, and the
Python-level ``stored_verdict`` all agree, reasons included.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

N = 20

APP = """
BROKEN = set({broken!r})
def answer(vars):
    n = vars["n"]
    return "wrong" if n in BROKEN else f"answer {{n}}"
"""

SCORER = """
CRASH = set({crash!r})
def check(output, context):
    if context["vars"]["n"] in CRASH:
        raise RuntimeError("scorer bug on this output")
    return True
"""


@dataclass
class Scenario:
    name: str
    status: str  # passed | failed | incomplete | interrupted
    broken: list[int] = field(default_factory=list)
    crash: list[int] = field(default_factory=list)
    critical: int | None = None
    suite_extra: str = ""
    case_extra: dict[int, str] = field(default_factory=dict)
    extra_assert: str = ""
    model: str = "app"  # app | remote
    args: tuple[str, ...] = ()
    env: dict[str, str | None] = field(default_factory=dict)
    baseline: bool = True
    faults: int = 0  # remote: answer 500 to this many cases (no retries)
    reason_kinds: tuple[str, ...] = ()
    fresh_cache: bool = False  # the candidate starts with an empty response cache


SCENARIOS = [
    Scenario("clean-pass", "passed"),
    Scenario("noise", "passed", broken=[3]),  # one flip: not significant, not critical
    Scenario("regression", "failed", broken=list(range(12)), reason_kinds=("drop",)),
    Scenario("critical", "failed", broken=[5], critical=5, reason_kinds=("critical",)),
    Scenario(
        "regression-and-scorer-crash",
        "failed",
        broken=list(range(12)),
        crash=[15],
        reason_kinds=("drop", "errors"),
    ),
    Scenario(
        "suite-max-regressions",
        "failed",
        broken=[1, 2],
        suite_extra="gate: {max_regressions: 1}\n",
        reason_kinds=("max_regressions",),
    ),
    Scenario(
        "suite-lenient-min-effect",
        "passed",
        broken=list(range(12)),
        suite_extra="gate: {min_effect: 0.9}\n",
    ),
    Scenario(
        "case-min-pass-rate",
        "failed",
        broken=[4],
        case_extra={4: "    min_pass_rate: 1.0\n"},
        reason_kinds=("case_min_pass_rate",),
    ),
    Scenario(
        "provider-errors",
        "incomplete",
        model="remote",
        faults=3,
        args=("--cache-mode", "off"),
        reason_kinds=("errors_retryable",),
    ),
    Scenario(
        "not-run-budget",
        "incomplete",
        model="remote",
        args=("--max-cost", "0.0000001", "--cache-mode", "off"),
        reason_kinds=("not_run",),
    ),
    Scenario(
        "replay-miss",
        "incomplete",
        model="remote",
        args=("--cache-mode", "replay"),
        fresh_cache=True,
        reason_kinds=("errors_retryable",),
    ),
    Scenario(
        "skipped-judge-local",
        "passed",
        baseline=False,
        extra_assert="      - type: llm-rubric\n        value: is an answer\n",
        env={"CI": None, "OPENAI_API_KEY": None},
    ),
    Scenario(
        "skipped-judge-ci",
        "incomplete",
        baseline=False,
        extra_assert="      - type: llm-rubric\n        value: is an answer\n",
        env={"CI": "true", "OPENAI_API_KEY": None},
        reason_kinds=("skipped",),
    ),
]

HEADING = {
    "passed": "✅ gate passed",
    "failed": "❌ gate failed",
    "incomplete": "⚠️ incomplete",
    "interrupted": "⏸️ interrupted",
}
EXIT = {"passed": 0, "failed": 1, "interrupted": 2, "incomplete": 3}


def _env(extra: dict[str, str | None]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY") and k != "CI"}
    env["OPENAI_API_KEY"] = "sk-test-verdict"
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def cli(root: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmeval", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def write_project(root: Path, sc: Scenario, base_url: str, *, broken: list[int], crash: list[int]):
    root.mkdir(parents=True, exist_ok=True)
    (root / "llmeval.yaml").write_text(
        "models:\n"
        "  app:\n    provider: python\n    target: app.py:answer\n"
        f"  remote:\n    provider: openai\n    model: gpt-4o-mini\n    base_url: {base_url}\n"
        "    price: {input_per_mtok: 1000, output_per_mtok: 2000}\n"
        f"defaults:\n  models: [{sc.model}]\n  judge: openai:gpt-4o-mini\n"
        "run: {retries: 0}\n"
    )
    (root / "app.py").write_text(APP.format(broken=sorted(broken)))
    (root / "scorers.py").write_text(SCORER.format(crash=sorted(crash)))
    (root / "prompts" / "ask").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / "ask" / "v1.yaml").write_text("user: 'echo case {{ n }} please'\n")
    cases = []
    for i in range(N):
        crit = "    critical: true\n" if i == sc.critical else ""
        want = f"answer {i}" if sc.model == "app" else f"case {i}"
        cases.append(
            f"  - id: c{i:02d}\n{crit}{sc.case_extra.get(i, '')}    vars: {{n: {i}}}\n"
            f"    assert:\n      - type: contains\n        value: {want}\n"
            f"      - type: python\n        value: scorers.py:check\n{sc.extra_assert}"
        )
    (root / "suites").mkdir(exist_ok=True)
    (root / "suites" / "qa.yaml").write_text(
        f"name: qa\nprompt: ask\n{sc.suite_extra}cases:\n" + "".join(cases)
    )


def verdict_of_html(page: str) -> tuple[str, list[str]]:
    m = re.search(r'<section id="verdict" class="verdict v-(\w+)"', page)
    assert m, "no verdict section"
    section = page[m.start() : page.index("</section>", m.start())]
    title = re.search(r'<h2 id="verdict-title">(.*?)</h2>', section, re.S)
    block = re.search(r'<ul class="reasons">(.*?)</ul>', section, re.S)
    reasons = re.findall(r"<li>(.*?)</li>", block.group(1), re.S) if block else []
    import html

    return html.unescape(title.group(1)) if title else "", [html.unescape(r) for r in reasons]


HTML_TITLE = {
    "passed": "Gate passed",
    "failed": "Gate failed",
    "incomplete": "Incomplete",
    "interrupted": "Interrupted",
}


def _strip_tags(text: str) -> str:
    return re.sub(r"<[^>]+>", "", text)


@pytest.mark.parametrize("sc", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_every_surface_gives_the_same_verdict(sc: Scenario, tmp_path: Path, fake_server) -> None:
    root = tmp_path / "proj"
    env = _env(sc.env)
    write_project(root, sc, fake_server.openai_base_url, broken=[], crash=[])
    if sc.baseline:
        out = cli(root, "run", "--run-id", "base", "--no-report", env=_env({}))
        assert out.returncode == 0, out.stdout + out.stderr
        out = cli(root, "baseline", "save", "base", env=_env({}))
        assert out.returncode == 0, out.stderr
    # the candidate: the change under review
    write_project(root, sc, fake_server.openai_base_url, broken=sc.broken, crash=sc.crash)
    if sc.faults:
        fake_server.fail_when(
            "server_error",
            lambda body: any(f"case {i} " in json.dumps(body) for i in range(sc.faults)),
        )
    run_id = "cand"
    args = list(sc.args)
    if sc.fresh_cache:
        with (root / "llmeval.yaml").open("a") as fh:
            fh.write("cache: {dir: .llmeval/empty-cache}\n")
    out = cli(
        root,
        "run",
        "--run-id",
        run_id,
        "--baseline",
        "auto",
        "--json",
        "--junit",
        "j.xml",
        "--markdown",
        "m.md",
        *args,
        env=env,
    )
    code = out.returncode
    assert code == EXIT[sc.status], (sc.name, code, out.stdout[-3000:], out.stderr[-2000:])

    # --json
    doc = json.loads(out.stdout)
    v = doc["verdict"]
    assert (doc["exit_code"], v["status"], v["exit_code"]) == (code, sc.status, code)
    reasons = v["reasons"]
    for kind in sc.reason_kinds:
        assert kind in v["reason_kinds"], (sc.name, v)
    if sc.status == "passed":
        assert reasons == []

    # run.json
    manifest = json.loads((root / ".llmeval" / "runs" / run_id / "run.json").read_text())
    assert manifest["verdict"]["status"] == sc.status
    assert manifest["verdict"]["reasons"] == reasons

    # markdown heading and reasons
    md = (root / "m.md").read_text()
    assert md.splitlines()[0] == f"## llmeval: {HEADING[sc.status]}"

    # JUnit: the gate is a testcase of its own
    junit = ET.parse(root / "j.xml").getroot()
    gate = junit.find("./testsuite[@name='llmeval.gate']/testcase")
    assert gate is not None
    failure, error = gate.find("failure"), gate.find("error")
    assert (failure is not None) == (sc.status == "failed")
    assert (error is not None) == (sc.status in ("incomplete", "interrupted"))
    for r in reasons:
        node = failure if failure is not None else error
        assert node is not None and r in (node.text or "")

    # the HTML the run wrote, and the one `llmeval report` rewrites from the stored run
    written = (root / "reports" / f"{run_id}.html").read_text()
    out_r = cli(root, "report", run_id, "-o", "again.html", env=env)
    assert out_r.returncode == 0, out_r.stderr
    again = (root / "again.html").read_text()
    for page in (written, again):
        title, html_reasons = verdict_of_html(page)
        assert title.startswith(HTML_TITLE[sc.status]), (sc.name, title)
        assert [_strip_tags(x) for x in html_reasons] == reasons

    # the Python API's view of the stored run
    from llmeval.config.settings import load_settings
    from llmeval.engine.gating import stored_verdict
    from llmeval.store.project import ProjectStore

    stored = ProjectStore(root, load_settings(root)).load_run(run_id)
    api_verdict, _ = stored_verdict(stored)
    assert (api_verdict.status, api_verdict.exit_code) == (sc.status, code)
    assert [r.message for r in api_verdict.reasons] == reasons

    # `llmeval diff baseline run`: the same verdict as `run --baseline auto`
    if sc.baseline:
        out_d = cli(root, "diff", "suites/baselines/qa.json", run_id, "--json", env=env)
        assert out_d.returncode == code, (sc.name, out_d.stdout[-2000:], out_d.stderr)
        d = json.loads(out_d.stdout)
        assert d["verdict"]["status"] == sc.status
        assert d["verdict"]["reasons"] == reasons
