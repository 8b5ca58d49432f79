"""promptfoo's ``_conversation`` in a text (non-chat) prompt -> a case with ``turns``.

The fixture ``text-conversation`` is the form of promptfoo's own evaluator tests: one
loop writing ``User: {{ completion.input }}`` / ``Assistant: {{ completion.output }}``
before ``User: {{ question }}``, two conversations by ``metadata.conversationId``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from promptfoo_runs import FIXTURES, _run

from llmeval.importers.promptfoo import convert, find_config, write
from llmeval.importers.promptfoo.text_threads import TextThread, text_thread
from llmeval.importers.promptfoo.writer import dump

NAME = "text-conversation"
OPENING = "You are a concise travel assistant.\n\n"

# a stand-in model: answers the last user message from a table (by the question in it)
STAND_IN = """
TABLE = {table!r}


def answer(messages):
    asked = messages[-1]["content"]
    return next(reply for question, reply in TABLE.items() if question in asked)
"""
ANSWERS = {
    "capital of France": "Paris.",
    "river": "The Seine.",
    "museum": "The Musee d'Orsay.",
    "Kyoto": "About 370 miles.",  # promptfoo: test 4 fails (contains km)
    "train": "2h15 by Shinkansen.",
}


def _project(tmp_path: Path, answers: dict[str, str]) -> Path:
    imported = convert(find_config(FIXTURES / NAME), offline=True)
    write(imported, tmp_path)
    (tmp_path / "stand_in.py").write_text(STAND_IN.format(table=answers))
    settings = imported.settings
    settings["models"] = {
        a: {"provider": "python", "target": "stand_in.py:answer"} for a in settings["models"]
    }
    cfg = tmp_path / "llmeval.yaml"
    cfg.write_text(cfg.read_text().split("\n", 1)[0] + "\n" + dump(settings))
    return tmp_path


def test_the_text_prompt_becomes_turns_and_no_prompt_file() -> None:
    imported = convert(find_config(FIXTURES / NAME), offline=True)
    assert imported.notes.items == []  # complete: exit 0
    assert imported.prompts == {} and "prompts" not in imported.suite  # turns alone
    paris, japan = imported.suite["cases"]
    # the first turn is what promptfoo sends first: the prompt without its loop
    assert paris["turns"][0]["content"] == OPENING + "User: What is the capital of France?"
    # every later turn is the text after the loop; the last one's vars are the case's
    assert paris["turns"][1]["content"] == "User: What river runs through it?"
    assert paris["turns"][2] == "User: {{ question }}"
    assert paris["vars"] == {"question": "Recommend a museum there."}
    # defaultTest's assertion scores the earlier turns too (the suite default the last)
    assert {"type": "not-icontains", "value": "sorry"} in paris["turns"][1]["assert"]
    assert imported.suite["defaults"]["assert"] == [{"type": "not-icontains", "value": "sorry"}]
    assert japan["turns"][0]["assert"][0] == {"type": "contains", "value": "km"}


def test_turn_verdicts_follow_each_promptfoo_test(tmp_path: Path) -> None:
    project = _project(tmp_path, ANSWERS)
    proc = subprocess.run(
        [sys.executable, "-m", "llmeval", "validate"], cwd=project, capture_output=True,
        text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # promptfoo on these outputs: paris 3/3 tests pass; japan test 4 fails (miles, no
    # km), test 5 passes -- the conversation, one case here, fails
    assert _run(project) == {
        ("conversation-paris", "inline"): "pass",
        ("conversation-japan", "inline"): "fail",
    }
    journal = next(project.glob(".llmeval/runs/*/results.jsonl")).read_text().splitlines()
    rows = {r["case_id"]: r for r in map(json.loads, journal)}
    assert [(m["role"], m["content"]) for m in rows["conversation-paris"]["messages"]] == [
        ("user", OPENING + "User: What is the capital of France?"),
        ("assistant", "Paris."),
        ("user", "User: What river runs through it?"),
        ("assistant", "The Seine."),
        ("user", "User: Recommend a museum there."),
        ("assistant", "The Musee d'Orsay."),
    ]
    japan = rows["conversation-japan"]["assertions"]
    assert ("contains", 0, False) in [(a["type"], a.get("turn"), a["passed"]) for a in japan]


def test_a_failing_default_assertion_on_the_last_turn_fails_it(tmp_path: Path) -> None:
    answers = {**ANSWERS, "museum": "Sorry, the Louvre is closed.", "Kyoto": "370 km."}
    # promptfoo: test 3 fails defaultTest's not-icontains sorry; japan passes
    assert _run(_project(tmp_path, answers)) == {
        ("conversation-paris", "inline"): "fail",
        ("conversation-japan", "inline"): "pass",
    }


LOOP = "{% for c in _conversation %}\nUser: {{ c.input }}\nAssistant: {{ c.output }}\n{% endfor %}"


def test_the_common_form_is_read() -> None:
    found = text_thread("Be kind, {{ name }}.\n" + LOOP + "\nUser: {{ question }}\n")
    assert found == TextThread(
        "Be kind, {{ name }}.\n\nUser: {{ question }}", "User: {{ question }}", frozenset({"name"})
    )
    assert isinstance(text_thread(LOOP.replace("c.input", "c.prompt") + "Q: {{ q }}"), TextThread)


@pytest.mark.parametrize(
    ("prompt", "why"),
    [
        (LOOP.replace("User: {{ c.input }}", "{{ loop.index }}. {{ c.input }}") + "{{ q }}",
         "a _conversation loop writing loop.index, c.input, c.output"),
        (LOOP.replace("c.input", "X").replace("c.output", "c.input").replace("X", "c.output")
         + "{{ q }}", "a _conversation loop writing c.output, c.input"),
        (LOOP.replace("User:", "{% if c.input %}User:{% endif %}") + "{{ q }}",
         "a _conversation loop with tags or comments"),
        (LOOP + "\n", "nothing after its _conversation loop"),
        (LOOP + LOOP + "{{ q }}", "several loops over _conversation"),
        (LOOP + "{{ _conversation | length }}", "_conversation used outside its loop"),
    ],
)  # fmt: skip
def test_other_forms_say_why(prompt: str, why: str) -> None:
    found = text_thread(prompt)
    assert isinstance(found, str) and why in found, found


def _config(tmp_path: Path, prompt: str, extra: str = "") -> Path:
    src = tmp_path / "src"
    src.mkdir()
    (src / "prompt.txt").write_text(prompt)
    (src / "promptfooconfig.yaml").write_text(
        "prompts:\n  - file://prompt.txt\n" + extra + "providers: [echo]\ntests:\n"
        "  - vars: {q: one}\n  - vars: {q: two}\n"
    )
    return src


@pytest.mark.parametrize(
    ("prompt", "extra", "why"),
    [
        (LOOP.replace("User: {{ c.input }}", "{{ loop.index }}. {{ c.input }}") + "{{ q }}", "",
         "prompt.txt:1: not translated: _conversation (use turns:): a _conversation loop writing"),
        (LOOP + "{{ q }}", "  - 'plain {{ q }}'\n",
         "promptfooconfig.yaml:1: not translated: _conversation (use turns:): a text prompt among several prompts"),
        ("Q {{ who }}\n" + LOOP + "{{ q }}", "",
         "var 'who' differs between its tests"),
    ],
)  # fmt: skip
def test_untranslated_forms_are_listed_and_exit_3(
    tmp_path: Path, prompt: str, extra: str, why: str
) -> None:
    if "who" in prompt:
        src = _config(tmp_path, prompt)
        cfg = src / "promptfooconfig.yaml"
        cfg.write_text(cfg.read_text().replace("{q: one}", "{q: one, who: A}").replace(
            "{q: two}", "{q: two, who: B}"))  # fmt: skip
    else:
        src = _config(tmp_path, prompt, extra)
    notes = [str(n) for n in convert(find_config(src), offline=True).notes.items]
    assert any(why in n for n in notes), notes
    # nothing half-translated: the tests stay separate cases and the thread is listed
    assert any("the tests without a conversationId (2 tests) runs as separate" in n for n in notes)
    out = subprocess.run(
        [sys.executable, "-m", "llmeval", "import", "promptfoo", str(src), "-o",
         str(tmp_path / "o")], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert out.returncode == 3, out.stdout + out.stderr
    assert "not translated: _conversation" in out.stderr
