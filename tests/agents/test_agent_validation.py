"""Bad tool loops and conversations are config errors at file:line, found before a call."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from agent_project import cli

from llmeval.config.project import load_project
from llmeval.engine.plan import build_plan
from llmeval.errors import ConfigError, ConfigErrors

CONFIG = "models:\n  e: {provider: echo}\ndefaults: {models: [e]}\n"
TOOLS = """\
tools:
  - {name: add, parameters: {type: object, properties: {a: {type: integer}, b: {type: integer}}, required: [a, b]}}
  - {name: weather, parameters: {type: object, properties: {city: {type: string}}, required: [city]}}
tools_impl: tools.py
"""
GOOD_PY = "def add(a, b):\n    return a + b\n\n\ndef weather(city):\n    return city\n"


def _errors(root: Path, suite: str, files: dict[str, str]) -> list[str]:
    (root / "suites").mkdir(exist_ok=True)
    (root / "llmeval.yaml").write_text(CONFIG)
    (root / "suites" / "s.yaml").write_text(textwrap.dedent(suite))
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    try:
        build_plan(load_project(root))
    except ConfigErrors as e:
        return [f"{x.location}: {x.message}" for x in e.errors]
    except ConfigError as e:
        return [f"{e.location}: {e.message}"]
    return []


CASE = "cases:\n  - id: c\n    vars: {input: add a=1 b=2}\n"

BAD = {
    "missing function": (
        TOOLS + CASE,
        {"suites/tools.py": "def add(a, b):\n    return a + b\n"},
        "suites/s.yaml:4:13: tools_impl suites/tools.py has no function for declared tool 'weather'",
    ),
    "function that is no declared tool": (
        TOOLS + CASE,
        {"suites/tools.py": GOOD_PY + "\n\ndef wether(city):\n    return city\n"},
        "suites/tools.py:9:1: tools_impl defines 'wether' but no tool of that name is declared (did you mean 'weather'?)",
    ),
    "parameter the schema lacks": (
        TOOLS + CASE,
        {
            "suites/tools.py": "def add(a, b, c):\n    return a\n\n\ndef weather(city):\n    return city\n"
        },
        "suites/tools.py:1:1: tool 'add': parameter 'c' has no default but is not in the schema",
    ),
    "schema argument the function lacks": (
        TOOLS + CASE,
        {"suites/tools.py": "def add(a):\n    return a\n\n\ndef weather(city):\n    return city\n"},
        "suites/tools.py:1:1: tool 'add': the schema declares argument 'b' but the function has no such parameter",
    ),
    "tools_impl file missing": (
        TOOLS + CASE,
        {},
        "suites/s.yaml:4:13: tools_impl 'tools.py' not found",
    ),
    "tools_impl syntax error": (
        TOOLS + CASE,
        {"suites/tools.py": "def add(a, b)\n"},
        "suites/tools.py:1:",
    ),
    "turns with a prompt ending in a user message": (
        """\
        prompt: ask
        cases:
          - id: c
            vars: {q: hi}
            turns:
              - hello
        """,
        {"prompts/ask/v1.yaml": "system: be brief\nuser: '{{ q }}'\n"},
        "suites/s.yaml:6:7: case 'c' has 'turns' but prompt ask@v1 (prompts/ask/v1.yaml) ends with a user message",
    ),
    "history not ending with a user message": (
        """\
        cases:
          - id: c
            messages:
              - {role: user, content: hi}
              - {role: assistant, content: hello}
        """,
        {},
        "suites/s.yaml:4:7: 'messages' should end with a user message",
    ),
    "history ending with user before turns": (
        """\
        cases:
          - id: c
            messages: [{role: user, content: hi}]
            turns: [again]
        """,
        {},
        "suites/s.yaml:3:15: 'messages' ends with a user message, but the first turn",
    ),
    "bad turn": (
        "cases:\n  - id: c\n    turns:\n      - {text: hi}\n",
        {},
        "suites/s.yaml:4:7: a turn is a string or a mapping with 'content'",
    ),
    "bad per-turn assertion": (
        "cases:\n  - id: c\n    turns:\n      - content: hi\n        assert: [{type: icontian, value: x}]\n",
        {},
        "suites/s.yaml:5:",
    ),
    "undefined variable in a turn": (
        "cases:\n  - id: c\n    turns: ['hi {{ nme }}']\n",
        {},
        "suites/s.yaml:3:12: prompt case c@v0: 'nme' is undefined",
    ),
    "system-only prompt without turns": (
        "prompt: chat\ncases:\n  - id: c\n",
        {"prompts/chat/v1.yaml": "system: be brief\n"},
        "suites/s.yaml:3:5: prompt chat@v1 has no user message: only a case with 'turns'",
    ),
    "pass_env with a name that is no variable's": (
        TOOLS + "pass_env: [ORDERS_DB_URL, orders db]\n" + CASE,
        {"suites/tools.py": GOOD_PY},
        "suites/s.yaml:5:27: 'pass_env' lists 'orders db', which is not the name of an environment variable",
    ),
    "pass_env that is not a list": (
        TOOLS + "pass_env: ORDERS_DB_URL\n" + CASE,
        {"suites/tools.py": GOOD_PY},
        "suites/s.yaml:5:11: 'pass_env' should be a list, got 'ORDERS_DB_URL'",
    ),
    "pass_env misspelt": (
        TOOLS + "pas_env: [ORDERS_DB_URL]\n" + CASE,
        {"suites/tools.py": GOOD_PY},
        "suites/s.yaml:5:1: unknown field 'pas_env' (did you mean 'pass_env'?)",
    ),
    "pass_env without a tools_impl beside it": (
        "cases:\n  - id: c\n    vars: {input: hi}\n    pass_env: [ORDERS_DB_URL]\n",
        {},
        "suites/s.yaml:4:5: 'pass_env' goes with 'tools_impl'",
    ),
    "case pass_env with a bad name": (
        TOOLS.replace("tools_impl: tools.py\n", "")
        + "cases:\n  - id: c\n    tools_impl: tools.py\n    pass_env: [OK, 1BAD]\n",
        {"suites/tools.py": GOOD_PY},
        "suites/s.yaml:7:20: 'pass_env' lists '1BAD'",
    ),
    "bad history role": (
        "cases:\n  - id: c\n    messages: [{role: tool, content: x}]\n",
        {},
        "suites/s.yaml:3:15: a message should be {role: system | user | assistant",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_agent_config_is_located(tmp_path: Path, name: str) -> None:
    suite, files, want = BAD[name]
    errors = _errors(tmp_path, suite, files)
    assert any(e.startswith(want) for e in errors), errors


def test_good_config_plans(tmp_path: Path) -> None:
    assert _errors(tmp_path, TOOLS + CASE, {"suites/tools.py": GOOD_PY}) == []
    # helpers named _like_this are fine; turns with a system-only prompt are fine
    suite = """\
    prompt: chat
    cases:
      - id: c
        vars: {name: Ada}
        messages: [{role: user, content: 'I am {{ name }}'}, {role: assistant, content: hi}]
        turns: [{content: 'who am I?', assert: [{type: contains, value: Ada}]}]
    """
    assert _errors(tmp_path, suite, {"prompts/chat/v1.yaml": "system: be brief\n"}) == []


def test_validate_reports_it_with_exit_4(tmp_path: Path) -> None:
    _errors(tmp_path, TOOLS + CASE, {"suites/tools.py": "def add(a, b):\n    return a\n"})
    proc = cli(tmp_path, "validate")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert (
        "suites/s.yaml:4:13: tools_impl suites/tools.py has no function for declared tool 'weather'"
        in proc.stderr
    )
    assert "Traceback" not in proc.stderr


def test_validate_reports_a_bad_tools_pass_env_with_exit_4(tmp_path: Path) -> None:
    suite = TOOLS + "pass_env: [ORDERS_DB_URL, orders-db]\n" + CASE
    _errors(tmp_path, suite, {"suites/tools.py": GOOD_PY})
    proc = cli(tmp_path, "validate")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "suites/s.yaml:5:27: 'pass_env' lists 'orders-db'" in proc.stderr
    assert "Traceback" not in proc.stderr
