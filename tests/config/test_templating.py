from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmeval.config.prompts import INLINE_PROMPT, content_sha
from llmeval.config.templating import (
    compile_template,
    missing_variables,
    prompt_variables,
    render_messages,
)
from llmeval.domain.location import Location
from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.errors import ConfigError


def _prompt(*messages: tuple[str, str]) -> PromptTemplate:
    msgs = tuple(Message(r, c) for r, c in messages)
    return PromptTemplate(
        "p", 1, msgs, content_sha(msgs, {}), location=Location("prompts/p/v1.yaml")
    )


SUPPORT = _prompt(("system", "You are {{ persona }}."), ("user", "Question: {{ question }}"))


def test_renders_every_message() -> None:
    out = render_messages(SUPPORT, {"persona": "terse", "question": "Why?"})
    assert out == (Message("system", "You are terse."), Message("user", "Question: Why?"))


@pytest.mark.parametrize(
    "value",
    [
        "{{ persona }}",
        "{% for x in range(3) %}{{ x }}{% endfor %}",
        "{# comment #} {{ 7 * 7 }}",
        "{{ ''.__class__.__mro__ }}",
        "<b>&amp;</b>",
    ],
)
def test_single_pass_values_reach_the_model_byte_identical(value: str) -> None:
    out = render_messages(SUPPORT, {"persona": "X", "question": value})
    assert out[1].content == "Question: " + value


@settings(max_examples=200, deadline=None)
@given(value=st.text())
def test_rendering_never_renders_a_value_again(value: str) -> None:
    prompt = _prompt(("user", "<{{ v }}>"))
    assert render_messages(prompt, {"v": value})[0].content == f"<{value}>"


def test_undefined_variable_is_a_located_error() -> None:
    with pytest.raises(ConfigError) as info:
        render_messages(SUPPORT, {"persona": "x"})
    assert "p@v1" in str(info.value) and "question" in str(info.value)
    assert info.value.location == Location("prompts/p/v1.yaml")


def test_the_sandbox_blocks_unsafe_attribute_access() -> None:
    prompt = _prompt(("user", "{{ x.__class__.__subclasses__() }}"))
    with pytest.raises(ConfigError, match=r"unsafe|not safely"):
        render_messages(prompt, {"x": "s"})


def test_templates_are_compiled_once() -> None:
    assert compile_template("A {{ b }}") is compile_template("A {{ b }}")


def test_missing_variables_via_meta() -> None:
    assert prompt_variables(SUPPORT) == {"persona", "question"}
    assert missing_variables(SUPPORT, {"persona": "x"}) == ["question"]
    assert missing_variables(SUPPORT, {"persona": "x", "question": "y"}) == []


def test_names_guarded_by_is_defined_are_not_missing() -> None:
    prompt = _prompt(("user", "{{ q }}{% if ctx is defined %} ({{ ctx }}){% endif %}"))
    assert missing_variables(prompt, {"q": "a"}) == []
    assert missing_variables(prompt, {}) == ["ctx", "q"]


@pytest.mark.parametrize(
    ("vars", "text"), [({"input": "hi {{ x }}"}, "hi {{ x }}"), ({"prompt": "p"}, "p")]
)
def test_inline_prompt_sends_input_or_prompt(vars: dict, text: str) -> None:
    assert render_messages(INLINE_PROMPT, vars) == (Message("user", text),)
