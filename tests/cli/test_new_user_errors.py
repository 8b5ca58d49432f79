"""Mistakes a new user makes, each answered by one clear line that points the right way.

Every test starts from `llmeval init` (a project that runs as written) and breaks one
thing, as a user would by editing the files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_cli_e2e import llmeval


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    out = llmeval("init", "p", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    return tmp_path / "p"


def _append_case(proj: Path, text: str) -> None:
    suite = proj / "suites" / "capitals.yaml"
    suite.write_text(suite.read_text() + text)


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, ln in enumerate(path.read_text().splitlines(), 1) if needle in ln)


# --- no project -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [("run",), ("validate",), ("run", "--dry-run"), ("baseline", "save"), ("runs",)]
)
def test_no_project_is_a_usage_error_that_says_run_init(tmp_path: Path, args: tuple[str, ...]):
    out = llmeval(*args, cwd=tmp_path)
    assert out.returncode == 4, out.stdout + out.stderr
    assert "no llmeval.yaml found" in out.stderr and "run `llmeval init`" in out.stderr
    assert "nothing selected" not in out.stderr and "ok" not in out.stdout


def test_validate_of_a_project_without_suites_does_not_say_ok(proj: Path):
    (proj / "suites" / "capitals.yaml").unlink()
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 5
    assert not out.stdout.startswith("ok") and "no suite files in suites/" in out.stderr


# --- validate catches what run would fail on ----------------------------------------------


def test_classification_without_an_expected_label_is_found_at_its_line(proj: Path):
    (proj / "suites" / "labels.yaml").write_text(
        "name: labels\nprompt: capitals\ndataset: rows.csv\n"
        "defaults:\n  assert:\n    - type: classification\n      labels: [paris, tokyo]\n"
        "cases:\n  - id: empty\n    vars: {country: France}\n    expected: ''\n"
        "  - id: absent\n    vars: {country: Japan}\n"
    )
    (proj / "suites" / "rows.csv").write_text("id,country,expected\nr1,France,paris\nr2,Japan,\n")
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4
    errors = out.stderr.splitlines()
    assert "suites/labels.yaml:11:15: 'classification' needs a non-empty expected label" in errors
    assert any(e.startswith("suites/labels.yaml:12:5: 'classification' needs") for e in errors)
    assert any(e.startswith("suites/rows.csv:3:1: 'classification' needs") for e in errors)
    assert "3 problems found" in out.stderr


def test_python_target_that_cannot_take_llmevals_arguments(proj: Path):
    app = proj / "apps" / "capitals.py"
    app.write_text(app.read_text().replace("def answer(vars", "def answer(question, context"))
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4, out.stdout
    line = _line_of(app, "def answer(")
    assert f"apps/capitals.py:{line}:1: python target 'apps/capitals.py:answer'" in out.stderr
    assert "llmeval cannot call it" in out.stderr and "'context'" in out.stderr


def test_judge_template_with_an_undefined_variable_and_a_misspelt_judge_prompt(proj: Path):
    (proj / "prompts" / "my-judge").mkdir()
    (proj / "prompts" / "my-judge" / "v1.yaml").write_text(
        "user: |\n  {{ rubric }}\n  {{ answer }}\n  {{ output }}\n"
    )
    _append_case(
        proj,
        "  - id: judged\n    vars: {country: Peru}\n    assert:\n"
        "      - {type: llm-rubric, value: Names Lima., prompt: my-judge@v1}\n"
        "      - {type: llm-rubric, value: Names Lima., prompt: my-juge}\n",
    )
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4
    errors = out.stderr.splitlines()
    assert errors[0].startswith("prompts/my-judge/v1.yaml:1:1: judge prompt my-judge@v1")
    assert "undefined variable 'answer'" in errors[0] and "rubric" in errors[0]
    assert "no judge prompt 'my-juge'" in errors[1] and "(did you mean 'my-judge'?)" in errors[1]


# --- one error per root cause, pointing the right way -------------------------------------


def test_a_prompt_that_failed_to_load_is_not_also_missing(proj: Path):
    (proj / "prompts" / "capitals" / "v2.yaml").write_text('user: "{{ country "\n')
    suite = proj / "suites" / "capitals.yaml"
    suite.write_text(suite.read_text().replace("capitals@v1", "capitals@v2"))
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4
    assert out.stderr.splitlines()[0].startswith("prompts/capitals/v2.yaml:1:7: template syntax")
    assert "no version" not in out.stderr and "1 problem found" in out.stderr


def test_scorer_paths_resolve_from_the_suite_folder_like_datasets(proj: Path):
    (proj / "suites" / "scorers").mkdir()
    (proj / "suites" / "scorers" / "short.py").write_text(
        "def check(output, context):\n    return len(output) < 100\n"
    )
    _append_case(
        proj,
        "  - id: scored\n    vars: {country: France}\n    assert:\n"
        "      - {type: python, value: 'scorers/short.py:check'}\n",
    )
    assert llmeval("validate", cwd=proj).returncode == 0
    out = llmeval("run", "--no-report", cwd=proj)
    assert out.returncode == 0, out.stderr
    _append_case(
        proj,
        "  - id: lost\n    vars: {country: France}\n    assert:\n"
        "      - {type: python, value: 'scorers/nope.py:check'}\n",
    )
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4
    assert (
        "python scorer 'scorers/nope.py' not found (tried suites/scorers/nope.py, scorers/nope.py)"
        in out.stderr
    )
    assert "outside the project" not in out.stderr


def test_baseline_file_that_does_not_exist_says_so(proj: Path):
    out = llmeval("run", "--baseline", "missing.json", cwd=proj)
    assert out.returncode == 4
    assert re.search(r"baseline file '?missing\.json'? does not exist", out.stderr), out.stderr
    assert "no run" not in out.stderr


def test_target_typo_points_at_llmeval_yaml_with_did_you_mean(proj: Path):
    cfg = proj / "llmeval.yaml"
    cfg.write_text(cfg.read_text().replace("capitals.py:answer", "capitals.py:answr"))
    line = _line_of(cfg, "capitals.py:answr")
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4
    assert out.stderr.splitlines() == [
        f"llmeval.yaml:{line}:13: python target 'apps/capitals.py:answr': apps/capitals.py"
        " has no function 'answr' (did you mean 'answer'?)",
        "1 problem found; nothing was run",
    ]
    cfg.write_text(cfg.read_text().replace("answr", "answer"))
    out = llmeval("run", "-m", "python:apps/capitals.py:answr", cwd=proj)
    assert out.returncode == 4 and "(did you mean 'answer'?)" in out.stderr


# --- small things -------------------------------------------------------------------------


def test_dry_run_factors_multiply_out_and_unpriced_cost_is_unknown(proj: Path):
    suite = proj / "suites" / "capitals.yaml"
    text = suite.read_text().replace("name: capitals", "name: two")
    (proj / "suites" / "two.yaml").write_text(text.split("  - id: australia")[0])
    out = llmeval(
        "run",
        "--dry-run",
        "-m",
        "openai:gpt-4o-mini",
        "-m",
        "openai:mystery-1",
        "-k",
        "2",
        cwd=proj,
        env={"COLUMNS": "120"},
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    products = [ln for ln in lines if re.match(r"^\w+: \d+ cases? × ", ln)]
    assert len(products) == 2
    for ln in products:
        factors = [int(x) for x in re.findall(r"(\d+) (?:cases?|models?|prompts?|repeats?)", ln)]
        result = int(re.search(r"= (\d+) results?", ln).group(1))
        assert factors[0] * factors[1] * factors[2] * factors[3] == result, ln
    assert "total: 20 + 8 = 28 results" in lines
    row = next(ln for ln in lines if "openai:mystery-1" in ln)
    assert "unknown" in row and "$0.0000" not in row
    total = next(ln for ln in lines if ln.startswith("total ") and "$" in ln)  # the table's row
    assert "+ unknown" in total
    data = json.loads(
        llmeval("run", "--dry-run", "--json", "-m", "openai:mystery-1", cwd=proj).stdout
    )
    assert data["total"]["cost_usd"] is None and data["unpriced"] == ["openai:mystery-1"]


COMMANDS = [
    (),
    ("run",),
    ("validate",),
    ("init",),
    ("diff",),
    ("baseline", "save"),
    ("report",),
    ("prompts", "list"),
    ("prompts", "show"),
    ("prompts", "diff"),
    ("cache", "stats"),
    ("cache", "clear"),
    ("runs",),
    ("schema",),
    ("judge", "calibrate"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "llmeval")
def test_help_at_80_columns_has_no_python_type_placeholders(tmp_path: Path, command):
    out = llmeval(*command, "--help", cwd=tmp_path, env={"COLUMNS": "80"})
    assert out.returncode == 0, out.stderr
    assert not re.search(r"<(bool|str|int|float|path|list\[)", out.stdout), out.stdout
    assert all(len(ln) <= 80 for ln in out.stdout.splitlines())
    if not command:
        assert "--install-completion" in out.stdout


def test_shell_completion_lists_commands_suites_and_models(proj: Path):
    def complete(words: str) -> list[str]:
        env = {"_LLMEVAL_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(len(words.split(" ")) - 1)
        import os
        import subprocess
        import sys

        code = "import sys; sys.argv[0] = 'llmeval'; from llmeval.cli.app import main; main()"
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=proj,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        return out.stdout.split()

    assert complete("llmeval ru") == ["run", "runs"]
    assert complete("llmeval run ca") == ["capitals"]
    assert complete("llmeval run -m cap") == ["capitals-app"]


# --- the rest of a new user's first hour --------------------------------------------------


def test_missing_api_key_is_a_validate_warning_and_a_run_error(proj: Path):
    cfg = proj / "llmeval.yaml"
    cfg.write_text(
        cfg.read_text()
        .replace(
            "  # gpt-mini:                  # a real model; export OPENAI_API_KEY first",
            "  gpt-mini:",
        )
        .replace("  #   provider: openai", "    provider: openai")
        .replace("  #   model: gpt-4o-mini", "    model: gpt-4o-mini")
        .replace("models: [capitals-app]", "models: [capitals-app, gpt-mini]")
    )
    env = {"OPENAI_API_KEY": ""}
    out = llmeval("validate", cwd=proj, env=env)
    assert out.returncode == 0, out.stderr
    assert (
        "warning: environment variable OPENAI_API_KEY is not set (needed by model 'gpt-mini')"
        in out.stderr
    )
    out = llmeval("run", cwd=proj, env=env)
    assert out.returncode == 4 and "OPENAI_API_KEY is not set" in out.stderr


def test_csv_without_a_column_the_prompt_needs_is_one_error_at_the_header(proj: Path):
    (proj / "suites" / "rows.yaml").write_text("name: rows\nprompt: capitals\ndataset: rows.csv\n")
    (proj / "suites" / "rows.csv").write_text("id,contry\na,France\nb,Japan\nc,Peru\n")
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4
    assert out.stderr.splitlines() == [
        "suites/rows.csv:1:1: no column 'country' in this dataset (prompt capitals@v1 uses it)"
        " (did you mean 'contry'?)",
        "1 problem found; nothing was run",
    ]


@pytest.mark.parametrize(
    ("args", "edit", "expected"),
    [
        (("run", "capital"), None, "no suite named 'capital' (did you mean 'capitals'?)"),
        (("run", "-m", "capitals-ap"), None, "(did you mean 'capitals-app'?)"),
        (
            ("validate",),
            ("type: icontains\n        value: paris", "type: icontain\n        value: paris"),
            "unknown assertion type 'icontain' (did you mean 'icontains'?)",
        ),
        (
            ("validate",),
            ("    vars: {country: Japan}", "   vars: {country: Japan}"),
            "suites/capitals.yaml:",
        ),
    ],
    ids=["suite-name", "model-alias", "assertion-type", "indentation"],
)
def test_first_hour_typos_get_one_located_line(proj: Path, args, edit, expected):
    if edit is not None:
        suite = proj / "suites" / "capitals.yaml"
        suite.write_text(suite.read_text().replace(*edit, 1))
    out = llmeval(*args, cwd=proj)
    assert out.returncode == 4, out.stdout + out.stderr
    assert expected in out.stderr.splitlines()[0]
    assert "Traceback" not in out.stderr


def test_nothing_selected_says_which_tag_or_filter(proj: Path):
    out = llmeval("run", "--tag", "eurpe", cwd=proj)
    assert out.returncode == 5
    assert "nothing selected: no case has tag 'eurpe' (did you mean 'europe'?)" in out.stderr
    out = llmeval("run", "--dry-run", "--filter", "zzz", cwd=proj)
    assert out.returncode == 5
    assert "no case id or description matches --filter 'zzz'" in out.stderr


def test_prompt_variable_typo_is_one_error_at_the_prompt_line(proj: Path):
    prompt = proj / "prompts" / "capitals" / "v1.yaml"
    prompt.write_text(prompt.read_text().replace("{{ country }}", "{{ contry }}"))
    line = _line_of(prompt, "{{ contry }}")
    col = prompt.read_text().splitlines()[line - 1].index("contry") + 1
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4
    assert out.stderr.splitlines() == [
        f"prompts/capitals/v1.yaml:{line}:{col}: no case of suite 'capitals' gives variable"
        " 'contry' used here (did you mean 'country'?)",
        "1 problem found; nothing was run",
    ]


def test_misnamed_prompt_file_is_not_also_an_unknown_prompt(proj: Path):
    folder = proj / "prompts" / "capitals"
    (folder / "v1.yaml").rename(folder / "version1.yaml")
    out = llmeval("validate", cwd=proj)
    assert out.returncode == 4
    assert out.stderr.splitlines() == [
        "prompts/capitals/version1.yaml:1:1: prompt files are named v<N>.yaml",
        "1 problem found; nothing was run",
    ]
