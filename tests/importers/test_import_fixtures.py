"""promptfoo's own example configs, imported, validated and run offline.

Expected verdicts are worked out by hand from promptfoo's documented semantics on the
outputs the stand-ins give (echo: the rendered prompt; ``canned``: the table below),
never by asking llmeval. Cases whose promptfoo verdict would depend on a judge or on an
assertion that was not translated are not compared.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from promptfoo_runs import FIXTURES, _by_vars, _imported, _run

from llmeval.config.project import load_project
from llmeval.engine.plan import build_plan
from llmeval.importers.promptfoo import convert, find_config, write

# fixture -> the "not translated" items expected (a substring of each note, in order)
EXPECTED_NOTES: dict[str, list[str]] = {
    "assistant-cli": [],
    "claude-vs-gpt": [
        "promptfooconfig.yaml:9: not translated: provider config 'cache_control'",
        "prompt.yaml:2: not translated: message content option 'cache_control'",
        "promptfooconfig.yaml:23: not translated: javascript assertion: 'output.length <= 100 ?",
    ],
    "csv-metadata": [],
    "eval-custom-grader-csv": [],  # customAssertion.ts is plain JavaScript: inlined
    "eval-customer-support-rubric": [],
    "eval-self-grading": ["promptfooconfig.yaml:12: not translated: javascript assertion"],
    "f-score": [
        "promptfooconfig.yaml:42: not translated: javascript assertion: 'output.sentiment ===",
        "promptfooconfig.yaml:47: not translated: javascript assertion",
        "promptfooconfig.yaml:52: not translated: javascript assertion",
        "promptfooconfig.yaml:57: not translated: javascript assertion",
        "promptfooconfig.yaml:62: not translated: javascript assertion",
    ],
    "getting-started": [],
    "json-output": [
        'promptfooconfig.yaml:36: not translated: javascript assertion: "output.color ===',
    ],
    "multiple-turn-conversation": [],  # each conversationId is one case with turns
    "named-metrics": [
        "promptfooconfig.yaml:51: not translated: assertion type 'similar'",
    ],
    "python-provider": [],
    "simple-cli": [],
    "simple-csv": ["prompts.txt:1: not translated: nunjucks filter 'load'"],
    "text-conversation": [],  # a text prompt's _conversation loop: one case with turns
    "simple-test": [
        "promptfooconfig.yaml:52: not translated: top-level key 'outputPath'",
        "promptfooconfig.yaml:38: not translated: assertion type 'similar'",
    ],
}


def _known_later(note: str) -> bool:
    """Notes about types another branch adds (javascript, similar): gone after the merge."""
    from llmeval.metrics import registry

    names = set(registry.names())
    return ("javascript assertion" in note and "javascript" in names) or (
        "assertion type 'similar'" in note and "similar" in names
    )


def test_at_least_15_fixtures_with_the_licence():
    folders = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    assert folders == sorted(EXPECTED_NOTES) and len(folders) >= 15
    assert "MIT License" in (FIXTURES / "LICENSE").read_text()


@pytest.mark.parametrize("name", sorted(EXPECTED_NOTES))
def test_fixture_imports_and_validates(name: str, tmp_path: Path):
    imported = convert(find_config(FIXTURES / name), offline=True)
    got = [str(n) for n in imported.notes.items]
    want = [w for w in EXPECTED_NOTES[name] if not _known_later(w)]
    got = [g for g in got if not _known_later(g)]
    assert len(got) == len(want), "\n".join(got)
    for g, w in zip(got, want, strict=True):
        assert g.startswith(w), (g, w)
    write(imported, tmp_path)
    project = load_project(tmp_path)  # raises ConfigErrors if anything is invalid
    build_plan(project)
    assert len(project.suites) == 1
    suite = next(iter(project.suites.values()))
    assert suite.cases and suite.prompts


def test_getting_started_verdicts(tmp_path: Path):
    # contains 'Bonjour le monde' is case-sensitive; icontains is not
    canned = {"Hello world": "Bonjour le monde !", "Where is the library?": "la biblioteca"}
    project = _imported("getting-started", tmp_path, canned)
    got = _by_vars(project, _run(project), "input")
    assert got == {"Hello world": {"pass"}, "Where is the library?": {"fail"}}


def test_simple_test_verdicts_and_yaml_12_booleans(tmp_path: Path):
    canned = {
        "Yes": "Yarr",  # body: Yes is the string "Yes" for js-yaml, not true
        "I'm hungry": "Arr, me belly wants GRUB",
        "Output the story of your life in JSON": '{"life": "at sea"}',
        "Hello world": "Ahoy, world",  # starts-with passes; python max(0, 11 - 300) = 0 fails
        "The quick brown fox jumps over the lazy dog": "Arrr, a fox",
    }
    project = _imported("simple-test", tmp_path, canned)
    got = _by_vars(project, _run(project), "body")
    assert got["Yes"] == {"pass"}
    assert got["I'm hungry"] == {"pass"}
    assert got["Output the story of your life in JSON"] == {"pass"}
    assert got["Hello world"] == {"fail"}  # promptfoo: a python score of 0 fails


def test_simple_test_echo_sends_yes_as_text(tmp_path: Path):
    project = _imported("simple-test", tmp_path)
    _run(project)
    journal = next((project / ".llmeval" / "runs").glob("*/results.jsonl"))
    outputs = [json.loads(line)["output"] for line in journal.read_text().splitlines()]
    assert "Rephrase this from English to Pirate: Yes" in outputs


def test_simple_csv_verdicts(tmp_path: Path):
    # only the second prompt is kept (the first uses the custom 'load' filter)
    canned = {"Hello world": "Bonjour le monde / Ahoy matey", "I'm hungry": "J'ai faim"}
    project = _imported("simple-csv", tmp_path, canned)
    statuses = _run(project)
    suite = next(iter(load_project(project).suites.values()))
    got = {(c.vars["language"], c.vars["body"]): statuses[(c.id, "prompts-2")] for c in suite.cases}
    assert got == {
        ("French", "Hello world"): "pass",  # icontains bonjour
        ("French", "I'm hungry"): "pass",  # icontains faim
        ("Pirate", "Hello world"): "pass",  # icontains Ahoy
        ("Pirate", "I'm hungry"): "fail",  # no 'grub' in "J'ai faim"
    }


def test_json_output_verdicts(tmp_path: Path):
    canned = {
        "Banana": '{"color": "yellow", "countries": ["Ecuador", "India"]}',
        "Passion fruit": "not json",
    }
    project = _imported("json-output", tmp_path, canned)
    got = _by_vars(project, _run(project), "item")
    assert got["Banana"] == {"pass"}  # is-json and the JSON.parse(...) checks hold
    # promptfoo: the test's transform JSON.parse(output) throws on text: an error
    assert got["Passion fruit"] == {"error"}


def test_json_output_transforms_parse_then_pick_the_field(tmp_path: Path):
    canned = {
        "Banana": '{"color": "yellow", "countries": ["Ecuador"]}',
        "Passion fruit": '{"color": "purple", "countries": ["Brazil", "India"]}',
    }
    project = _imported("json-output", tmp_path, canned)
    # transform JSON.parse: the javascript check sees the object; contains-any sees
    # output.countries (its JSON text) and finds India
    assert _by_vars(project, _run(project), "item")["Passion fruit"] == {"pass"}
    canned["Passion fruit"] = '{"color": "purple", "countries": ["Brazil"]}'
    other = _imported("json-output", tmp_path / "b", canned)
    assert _by_vars(other, _run(other), "item")["Passion fruit"] == {"fail"}


def test_json_output_field_check_fails_on_the_wrong_color(tmp_path: Path):
    canned = {"Banana": '{"color": "green", "countries": ["Ecuador"]}', "Passion fruit": "{}"}
    project = _imported("json-output", tmp_path, canned)
    assert _by_vars(project, _run(project), "item")["Banana"] == {"fail"}


def test_csv_metadata_verdicts_tags_and_templated_rubric(tmp_path: Path):
    project = _imported("csv-metadata", tmp_path)  # echo: "Tell me about <topic>"
    suite = next(iter(load_project(project).suites.values()))
    first = suite.cases[0]
    assert set(first.tags) == {
        "category=technology", "tags=ai", "tags=data science", "tags=algorithms"
    }  # fmt: skip
    assert "tags=advanced,theory" in suite.cases[1].tags  # \, keeps the comma
    rubric = next(a for a in first.assertions if a.type == "llm-rubric")
    assert rubric.value == "Does this describe {{topic}} accurately?"  # the judge renders it
    got = _by_vars(project, _run(project), "topic")
    assert got["machine learning"] == {"fail"}  # no 'algorithm' in the echo
    assert got["climate change"] == {"fail"}  # no 'temperature'


def test_named_metrics_derived_metric_in_the_summary(tmp_path: Path):
    canned = {
        "Yes": "Yarr",
        "I'm hungry": "grub",
        "Output the story of your life in JSON": '{"life": "at sea"}',  # is-json: 1
        "Hello world": "Ahoy",  # python max(0, 4 - 300) = 0
        "The quick brown fox jumps over the lazy dog": "Arr",
    }
    project = _imported("named-metrics", tmp_path, canned)
    suite = next(iter(load_project(project).suites.values()))
    assert suite.derived_metrics == (("DoubleConsistency", "Consistency * 2"),)
    _run(project)
    manifest = json.loads(next((project / ".llmeval" / "runs").glob("*/run.json")).read_text())
    # promptfoo: per prompt, Consistency sums to 1 + 0; DoubleConsistency = 2
    derived = [g["derived"] for g in manifest["summary"]["groups"]]
    assert derived == [{"DoubleConsistency": 2.0}] * 2


def test_named_metrics_derived_metric_in_console_json_and_markdown(tmp_path: Path):
    canned = {
        "Yes": "Yarr",
        "I'm hungry": "grub",
        "Output the story of your life in JSON": '{"life": "at sea"}',
        "Hello world": "Ahoy",
        "The quick brown fox jumps over the lazy dog": "Arr",
    }
    project = _imported("named-metrics", tmp_path, canned)
    out = subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "--no-report", "--json", "--markdown", "s.md"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    data = json.loads(out.stdout)
    groups = data["summary"]["groups"] if "summary" in data else data["groups"]
    assert [g["derived"] for g in groups] == [{"DoubleConsistency": 2.0}] * 2
    md = (project / "s.md").read_text()
    rows = [ln for ln in md.split("### Derived metrics", 1)[1].splitlines() if "Double" in ln]
    assert len(rows) == 2 and all(r.endswith("| DoubleConsistency | 2 |") for r in rows)
    console = subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "--no-report"],
        cwd=project, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "DoubleConsistency 2" in console.stdout


def test_f_score_derived_metrics_are_kept(tmp_path: Path):
    imported = convert(find_config(FIXTURES / "f-score"), offline=True)
    names = [d["name"] for d in imported.suite["derived_metrics"]]
    assert names == ["precision", "recall", "f1_score", "accuracy_score"]
    assert imported.suite["derived_metrics"][0]["value"] == (
        "true_positives / (true_positives + false_positives)"
    )


def test_f_score_fails_on_non_json(tmp_path: Path):
    project = _imported("f-score", tmp_path)  # echo returns the prompt: not JSON
    assert set(_run(project).values()) == {"fail"}


def test_python_provider_call_api_verdicts(tmp_path: Path):
    project = _imported("python-provider", tmp_path)
    assert (project / "provider.py").is_file()  # copied with the project
    statuses = _run(project)
    got = _by_vars(project, statuses, "topic")
    assert got["bananas"] == {"pass"}  # "Bananamax says: ..." contains Bananamax
    assert got["fruits"] == {"skipped"}  # llm-rubric only, no judge offline


def test_no_assertions_pass_as_in_promptfoo(tmp_path: Path):
    project = _imported("simple-cli", tmp_path)
    assert set(_run(project).values()) == {"pass"}


def test_cli_exit_codes(tmp_path: Path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "llmeval", "import", "promptfoo", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    clean = run(str(FIXTURES / "getting-started"), "-o", str(tmp_path / "a"))
    assert clean.returncode == 0, clean.stderr
    assert "complete" in clean.stdout
    partial = run(str(FIXTURES / "simple-csv"), "-o", str(tmp_path / "b"), "--offline")
    assert partial.returncode == 3
    assert "prompts.txt:1: not translated: nunjucks filter 'load'" in partial.stderr
    again = run(str(FIXTURES / "simple-csv"), "-o", str(tmp_path / "b"))
    assert again.returncode == 4 and "already exists" in again.stderr
    assert run(str(tmp_path / "nowhere")).returncode == 4
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "promptfooconfig.yaml").write_text("prompts: [unclosed\n")
    broken = run(str(bad))
    assert broken.returncode == 4 and "promptfooconfig.yaml:" in broken.stderr
    # imported without --offline: real providers, and the judge from defaultTest
    shutil.rmtree(tmp_path / "a")
    assert (
        run(str(FIXTURES / "eval-customer-support-rubric"), "-o", str(tmp_path / "a")).returncode
        == 0
    )
    settings = (tmp_path / "a" / "llmeval.yaml").read_text()
    assert "judge: judge" in settings and "model: gpt-4.1-mini" in settings
