from __future__ import annotations

import pytest
from config_support import Write

from llmeval.config.prompts import load_prompts, resolve_prompt
from llmeval.domain.location import Location
from llmeval.domain.prompt import Message
from llmeval.errors import ConfigError, ConfigErrors

V1 = """
description: First try.
system: You are a support agent.
user: |
  Question: {{ question }}
params: {temperature: 0}
"""
V2 = """
description: With context.
messages:
  - role: system
    content: Be concise.
  - role: user
    content: "{{ context }} / {{ question }}"
"""


def _library(write: Write) -> dict:
    root = write(
        {
            "prompts/support/v1.yaml": V1,
            "prompts/support/v2.yaml": V2,
            "prompts/support/v10.yaml": V2.replace("concise", "brief"),
            "prompts/intent/v1.yaml": "user: '{{ text }}'\n",
            "prompts/intent/notes.md": "not a prompt",
        }
    )
    return load_prompts(root)


def test_loads_both_forms(write: Write) -> None:
    lib = _library(write)
    v1, v2 = lib["support"][1], lib["support"][2]
    assert v1.messages == (
        Message("system", "You are a support agent."),
        Message("user", "Question: {{ question }}\n"),
    )
    assert v1.params == {"temperature": 0} and v1.description == "First try."
    assert v2.messages[1] == Message("user", "{{ context }} / {{ question }}")
    assert v1.location == Location("prompts/support/v1.yaml")
    assert sorted(lib) == ["intent", "support"]


def test_sha_tracks_content_not_description(write: Write) -> None:
    lib = _library(write)
    root = write({"prompts/other/v1.yaml": V1.replace("First try.", "Reworded.")})
    again = load_prompts(root)
    assert again["other"][1].sha == lib["support"][1].sha
    assert lib["support"][2].sha != lib["support"][10].sha


@pytest.mark.parametrize(
    ("ref", "version"),
    [("support@v2", 2), ("support@2", 2), ("support", 10), ("support@latest", 10), ("intent", 1)],
)
def test_resolve_prompt(write: Write, ref: str, version: int) -> None:
    assert resolve_prompt(_library(write), ref).version == version


@pytest.mark.parametrize(
    ("ref", "words"),
    [
        ("support@v3", "prompt 'support' has no version v3 (available: v1, v2, v10)"),
        ("suport@v1", "unknown prompt 'suport' (did you mean 'support'?)"),
        ("support@beta", "bad prompt reference 'support@beta'"),
    ],
)
def test_resolve_prompt_errors_are_located(write: Write, ref: str, words: str) -> None:
    where = Location("suites/s.yaml", 3, 9)
    with pytest.raises(ConfigError) as info:
        resolve_prompt(_library(write), ref, where)
    assert words in info.value.message
    assert str(info.value).startswith("suites/s.yaml:3:9: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # block scalar: the Jinja line counts from the first content line (line 3)
        (
            "system: hi\nuser: |\n  line one\n  {{ question }\n",
            "prompts/p/v1.yaml:4:1: template syntax error",
        ),
        ("user: 'Q: {% if x %}'\n", "prompts/p/v1.yaml:1:7: template syntax error"),
        (
            "user: '{{ q | nosuchfilter }}'\n",
            "prompts/p/v1.yaml:1:7: template syntax error: No filter named 'nosuchfilter'",
        ),
    ],
)
def test_jinja_syntax_errors_point_at_the_prompt_line(
    write: Write, text: str, expected: str
) -> None:
    root = write({"prompts/p/v1.yaml": text})
    with pytest.raises(ConfigErrors) as info:
        load_prompts(root)
    assert str(info.value).startswith(expected)


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"prompts/p/draft.yaml": "user: x\n"},
            "prompts/p/draft.yaml:1:1: prompt files are named v<N>.yaml",
        ),
        (
            {"prompts/p/v1.yaml": "description: x\n"},
            "prompts/p/v1.yaml:1:1: a prompt needs a 'user' message",
        ),
        (
            {"prompts/p/v1.yaml": "user: x\nusr: y\n"},
            "prompts/p/v1.yaml:2:1: unknown field 'usr' (did you mean 'user'?)",
        ),
        (
            {"prompts/p/v1.yaml": "user: x\nmessages: [{role: user, content: y}]\n"},
            "prompts/p/v1.yaml:2:1: use 'messages' or 'system'/'user', not both",
        ),
        (
            {"prompts/p/v1.yaml": "messages:\n  - {role: robot, content: y}\n"},
            "prompts/p/v1.yaml:2:12: 'role' should be 'system', 'user' or 'assistant', got 'robot'",
        ),
    ],
)
def test_bad_prompt_files(write: Write, files: dict[str, str], expected: str) -> None:
    with pytest.raises(ConfigErrors) as info:
        load_prompts(write(files))
    assert str(info.value).startswith(expected)
