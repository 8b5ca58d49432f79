"""promptfoo conversations (``_conversation`` + ``metadata.conversationId``) -> ``turns``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from promptfoo_runs import FIXTURES, _run

from llmeval.importers.promptfoo import convert, find_config, write
from llmeval.importers.promptfoo.threads import inline

PROMPT = (FIXTURES / "multiple-turn-conversation" / "prompt.json").read_text()


def _project(tmp_path: Path, tests: str, system: str = "{{ system_message }}") -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "prompt.json").write_text(PROMPT.replace("{{ system_message }}", system))
    (src / "promptfooconfig.yaml").write_text(
        "prompts: [file://prompt.json]\nproviders: [echo]\n"
        "defaultTest:\n  vars: {system_message: Be brief}\n"
        "  assert:\n    - {type: starts-with, value: Q}\n" + tests
    )
    return src


TESTS = """tests:
  - vars: {question: "Q1 alpha 50%}"}
    metadata: {conversationId: a}
    assert: [{type: icontains, value: alpha}]
  - vars: {question: "Q2 100%} beta"}
    metadata: {conversationId: a}
    assert: [{type: contains, value: "{{question}}"}]
  - vars: {question: Q3 gamma}
    metadata: {conversationId: b}
    threshold: 0.5
    assert: [{type: icontains, value: zzz}]
"""


def test_each_conversation_is_one_case_with_its_tests_as_turns(tmp_path: Path):
    imported = convert(find_config(_project(tmp_path, TESTS)), offline=True)
    assert imported.notes.items == []
    a, b = imported.suite["cases"]
    # the first test's assertions score its turn, with defaultTest's (promptfoo applies
    # them to every test); the last test's are the case's, with defaultTest's too: test 3
    # has a threshold, so each conversation carries defaultTest's assertions itself
    assert a["turns"][0] == {
        "content": "{% raw %}Q1 alpha 50%}{% endraw %}",  # its own value, kept literal
        "assert": [
            {"type": "icontains", "value": "alpha"},
            {"type": "starts-with", "value": "Q"},
        ],
    }
    # the last test's vars are the case's: its turn and assertions render with them
    assert a["turns"][1] == "{{ question }}" and a["vars"] == {"question": "Q2 100%} beta"}
    assert a["assert"] == [
        {"type": "contains", "value": "{{question}}"},
        {"type": "starts-with", "value": "Q"},
    ]
    assert b["turns"] == ["{{ question }}"] and b["vars"] == {"question": "Q3 gamma"}
    # its threshold decides that test alone: one assert-set with it, no case threshold
    assert b["assert"] == [
        {"type": "assert-set", "threshold": 0.5, "assert": [
            {"type": "icontains", "value": "zzz"}, {"type": "starts-with", "value": "Q"}]}
    ]  # fmt: skip
    assert "threshold" not in b and "threshold" not in imported.suite
    assert "assert" not in imported.suite.get("defaults", {})
    assert "system_message" not in a["vars"]  # the suite default
    assert imported.prompts["prompt"]["messages"] == [
        {"role": "system", "content": "{{ system_message }}"}
    ]  # the opening: the last user message is each turn's


def test_turn_verdicts_follow_each_promptfoo_test(tmp_path: Path):
    src = _project(tmp_path, TESTS)
    out = tmp_path / "out"
    write(convert(find_config(src), offline=True), out)
    statuses = _run(out)
    # echo answers each turn with its question. promptfoo: test 1 (alpha, starts Q) pass,
    # test 2 (contains its own question, starts Q) pass; test 3 has threshold 0.5 and
    # scores (0 + 1) / 2 = 0.5 >= 0.5: pass
    assert statuses == {("conversation-a", "prompt"): "pass", ("conversation-b", "prompt"): "pass"}
    rows = {
        json.loads(line)["case_id"]: json.loads(line)
        for line in next(out.glob(".llmeval/runs/*/results.jsonl")).read_text().splitlines()
    }
    turns = [(x["type"], x.get("turn"), x["passed"]) for x in rows["conversation-a"]["assertions"]]
    assert ("icontains", 0, True) in turns and ("starts-with", 0, True) in turns
    assert rows["conversation-a"]["output"] == "Q2 100%} beta"  # sent as text, not rendered
    first = next(m for m in rows["conversation-a"]["messages"] if m["role"] == "user")
    assert first["content"] == "Q1 alpha 50%}"


def test_a_failing_earlier_turn_fails_the_conversation(tmp_path: Path):
    tests = TESTS.replace("value: alpha}", "value: omega}")
    out = tmp_path / "out"
    write(convert(find_config(_project(tmp_path, tests)), offline=True), out)
    # promptfoo: test 1 fails (no omega); the conversation as one case fails
    assert _run(out)[("conversation-a", "prompt")] == "fail"


def test_a_var_the_opening_uses_that_differs_is_reported(tmp_path: Path):
    tests = TESTS.replace('{question: "Q1 alpha 50%}"}', "{question: Q1 alpha, who: Ann}")
    tests = tests.replace("{question: Q3 gamma}", "{question: Q3 gamma, who: Bo}")
    src = _project(tmp_path, tests, system="You talk to {{ who }}")
    imported = convert(find_config(src), offline=True)
    notes = [str(n) for n in imported.notes.items]
    assert any(
        "not translated: _conversation: conversation 'a': var 'who' differs" in n for n in notes
    )
    # nothing is half-translated: the tests stay separate cases, every thread is listed
    assert any("conversation 'a' (2 tests) runs as separate cases" in n for n in notes)
    assert all("turns" not in c for c in imported.suite["cases"])
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "llmeval",
            "import",
            "promptfoo",
            str(src),
            "-o",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 3 and "promptfooconfig.yaml:" in out.stderr


def test_inline_keeps_values_literal_and_sets_vars_used_otherwise():
    assert inline("Q: {{ q }}", {"q": "a {% b"}) == "Q: {% raw %}a {% b{% endraw %}"
    assert (
        inline("{{ q | upper }}", {"q": 'say "hi"'})
        == '{% set q = "say \\"hi\\"" %}{{ q | upper }}'
    )
    assert inline("{{ q }}", {"q": ["a list"]}) is None
    assert inline("{{ q }}", {"q": "file://notes.txt"}) is None


def test_a_last_threshold_decides_the_last_test_alone(tmp_path: Path):
    # test 1 fails (omega); test 2 has threshold 0.5 over [contains x, starts-with Q]
    tests = TESTS.replace("value: alpha}", "value: omega}").replace(
        'assert: [{type: contains, value: "{{question}}"}]',
        "assert: [{type: contains, value: x}]\n    threshold: 0.5",
    )
    src = _project(tmp_path, tests)
    imported = convert(find_config(src), offline=True)
    assert imported.notes.items == []
    a = imported.suite["cases"][0]
    assert a["assert"] == [
        {"type": "assert-set", "threshold": 0.5, "assert": [
            {"type": "contains", "value": "x"}, {"type": "starts-with", "value": "Q"}]}
    ]  # fmt: skip
    assert "threshold" not in a
    out = tmp_path / "out"
    write(imported, out)
    # promptfoo: test 1 fails (every assertion must pass), test 2 passes (0.5 >= 0.5):
    # the conversation fails. A case threshold over every turn would have passed it
    # ((0 + 1 + 0 + 1) / 4 = 0.5): the silent difference this mapping avoids
    assert _run(out) == {("conversation-a", "prompt"): "fail", ("conversation-b", "prompt"): "pass"}


def _with_default_threshold(src: Path, threshold: str = "0.5") -> Path:
    cfg = src / "promptfooconfig.yaml"
    cfg.write_text(
        cfg.read_text().replace("defaultTest:\n", f"defaultTest:\n  threshold: {threshold}\n")
    )
    return src


def test_a_default_threshold_decides_each_turn(tmp_path: Path):
    tests = TESTS.replace("value: alpha}", "value: omega}")
    src = _with_default_threshold(_project(tmp_path, tests))
    imported = convert(find_config(src), offline=True)
    assert imported.notes.items == []
    a, b = imported.suite["cases"]
    # promptfoo gives every test defaultTest's threshold: each turn is one set with it
    assert a["turns"][0]["assert"] == [
        {"type": "assert-set", "threshold": 0.5, "assert": [
            {"type": "icontains", "value": "omega"}, {"type": "starts-with", "value": "Q"}]}
    ]  # fmt: skip
    assert a["assert"][0]["threshold"] == 0.5 and b["assert"][0]["threshold"] == 0.5
    # neither the suite's threshold nor its default assertions (they would weigh every turn)
    assert "threshold" not in imported.suite and "assert" not in imported.suite["defaults"]
    out = tmp_path / "out"
    write(imported, out)
    # promptfoo: test 1 scores (0 + 1) / 2 = 0.5 >= 0.5: pass (without the threshold it
    # fails, see test_a_failing_earlier_turn_fails_the_conversation); test 2 passes
    assert _run(out) == {("conversation-a", "prompt"): "pass", ("conversation-b", "prompt"): "pass"}
    # a higher default threshold fails test 1 (0.5 < 0.75), hence conversation a
    (tmp_path / "hi").mkdir()
    src2 = _with_default_threshold(_project(tmp_path / "hi", tests), "0.75")
    out2 = tmp_path / "out2"
    write(convert(find_config(src2), offline=True), out2)
    # test 3 keeps its own threshold 0.5 (over defaultTest's): (0 + 1) / 2 passes
    assert _run(out2) == {
        ("conversation-a", "prompt"): "fail",
        ("conversation-b", "prompt"): "pass",
    }


def test_a_threshold_over_what_a_set_cannot_hold_is_listed(tmp_path: Path):
    tests = TESTS.replace("value: alpha}", "value: alpha, metric: recall}")
    src = _with_default_threshold(_project(tmp_path, tests))
    imported = convert(find_config(src), offline=True)
    notes = [str(n) for n in imported.notes.items]
    assert any(
        n.startswith("promptfooconfig.yaml:9: not translated: _conversation: conversation 'a': "
                     "the test's threshold over 'icontains' with metric 'recall'") for n in notes
    ), notes  # fmt: skip
    # nothing half-translated: separate cases, each thread listed, the suite's threshold
    assert all("turns" not in c for c in imported.suite["cases"])
    assert imported.suite["threshold"] == 0.5
    assert any("conversation 'a' (2 tests) runs as separate cases" in n for n in notes)
