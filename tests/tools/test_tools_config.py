"""tools / tool_choice, model params and http models in the user's files: parsed, and
every mistake reported as file:line:col before any call."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from llmeval.config.project import load_project
from llmeval.errors import ConfigErrors

PROMPT_WITH_TOOLS = """
user: 'Weather in {{ city }}?'
tools:
  - type: function
    function:
      name: get_weather
      description: Current weather
      parameters:
        type: object
        properties: {city: {type: string}}
        required: [city]
  - name: get_time
    parameters: {type: object, properties: {}}
tool_choice: get_weather
"""
SUITE = """
prompt: weather
models: [echo]
cases:
  - id: a
    vars: {city: Paris}
    assert:
      - type: tool-call
        value: {name: get_weather, arguments: {city: Paris}, position: first}
"""


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return tmp_path


def errors_of(root: Path) -> list[str]:
    with pytest.raises(ConfigErrors) as info:
        load_project(root)
    return [str(e) for e in info.value.errors]


def test_prompt_tools_and_choice_are_parsed(tmp_path: Path) -> None:
    root = project(tmp_path, {"prompts/weather/v1.yaml": PROMPT_WITH_TOOLS, "suites/s.yaml": SUITE})
    prompt = load_project(root).prompts["weather"][1]
    assert [t.name for t in prompt.tools] == ["get_weather", "get_time"]
    assert prompt.tools[0].parameters["required"] == ["city"]
    assert prompt.tool_choice is not None and prompt.tool_choice.name == "get_weather"


def test_tools_change_the_prompt_hash_and_plain_prompts_keep_theirs(tmp_path: Path) -> None:
    from llmeval.config.prompts import content_sha
    from llmeval.domain.prompt import Message

    root = project(
        tmp_path,
        {"prompts/weather/v1.yaml": PROMPT_WITH_TOOLS, "prompts/plain/v1.yaml": "user: 'hi'\n"},
    )
    lib = load_project(root).prompts
    assert lib["plain"][1].sha == content_sha((Message("user", "hi"),), {})
    weather = lib["weather"][1]
    assert weather.sha != content_sha(weather.messages, weather.params)


def test_suite_tools_extend_and_override_the_prompt_tools(tmp_path: Path) -> None:
    from llmeval.engine.plan import build_plan

    suite = SUITE + textwrap.dedent(
        """
        tools:
          - name: get_weather
            description: from the suite
            parameters: {type: object, properties: {city: {type: string}}}
          - name: book
        tool_choice: required
        """
    )
    root = project(tmp_path, {"prompts/weather/v1.yaml": PROMPT_WITH_TOOLS, "suites/s.yaml": suite})
    item = build_plan(load_project(root)).items[0]
    assert [(t.name, t.description) for t in item.tools] == [
        ("get_time", ""),
        ("get_weather", "from the suite"),
        ("book", ""),
    ]
    assert item.tool_choice is not None and item.tool_choice.mode == "required"
    req = item.request()  # what the runner sends and the cost estimate looks up
    assert (req.tools, req.tool_choice, req.vars) == (
        item.tools,
        item.tool_choice,
        {"city": "Paris"},
    )


BAD = {
    "unknown tool in a prompt's tool_choice": (
        {
            "prompts/weather/v1.yaml": PROMPT_WITH_TOOLS.replace(
                "tool_choice: get_weather", "tool_choice: get_wether"
            )
        },
        "prompts/weather/v1.yaml:13:14: 'tool_choice' names unknown tool 'get_wether' (did you mean 'get_weather'?)",
    ),
    "unknown tool in a suite's tool_choice": (
        {
            "prompts/weather/v1.yaml": PROMPT_WITH_TOOLS,
            "suites/s.yaml": SUITE + "tool_choice: {type: function, function: {name: book}}\n",
        },
        "suites/s.yaml:9:14: 'tool_choice' names unknown tool 'book' (prompt weather@v1)",
    ),
    "schema that is not JSON Schema": (
        {
            "prompts/weather/v1.yaml": PROMPT_WITH_TOOLS.replace(
                "type: object\n        properties", "type: objekt\n        properties"
            )
        },
        "prompts/weather/v1.yaml:8:9: tool 'get_weather': 'parameters' is not a valid JSON Schema:",
    ),
    "tool without a name": (
        {"prompts/weather/v1.yaml": "user: hi\ntools:\n  - description: nameless\n"},
        "prompts/weather/v1.yaml:3:5: a tool needs a 'name'",
    ),
    "duplicate tool": (
        {"prompts/weather/v1.yaml": "user: hi\ntools:\n  - name: a\n  - name: a\n"},
        "prompts/weather/v1.yaml:4:5: tool 'a' is declared twice",
    ),
    "required with no tools": (
        {"prompts/weather/v1.yaml": "user: hi\ntool_choice: required\n"},
        "prompts/weather/v1.yaml:2:14: 'tool_choice: required' but no tools are declared",
    ),
    "unknown model param": (
        {
            "llmeval.yaml": "models:\n  m:\n    provider: openai\n    model: gpt-4o-mini\n    params: {temperature: 0, top_k: 5}\n"
        },
        "llmeval.yaml:5:30: param 'top_k' is not known to the openai provider",
    ),
    "param the Responses API does not take": (
        {
            "llmeval.yaml": "models:\n  m:\n    provider: openai\n    api: responses\n    model: gpt-5\n    params:\n      seed: 1\n"
        },
        "llmeval.yaml:7:7: param 'seed' is not known to the openai (responses API) provider",
    ),
    "prompt param the suite's model does not take": (
        {
            "llmeval.yaml": "models:\n  m:\n    provider: openai\n    model: gpt-4o-mini\n",
            "prompts/p/v1.yaml": "user: hi\nparams: {top_k: 3}\n",
            "suites/s.yaml": "prompt: p\nmodels: [m]\ncases: [{id: a}]\n",
        },
        "prompts/p/v1.yaml:1:1: param 'top_k' is not known to the openai provider",
    ),
    "api on a non-openai model": (
        {
            "llmeval.yaml": "models:\n  m:\n    provider: anthropic\n    model: claude-haiku-4-5\n    api: responses\n"
        },
        "llmeval.yaml:3:5: 'api: responses' is for openai models, not anthropic",
    ),
    "http extraction that does not compile": (
        {
            "llmeval.yaml": "models:\n  app:\n    provider: http\n    url: http://localhost:9/x\n    extract:\n      output: 'answer.[text'\n"
        },
        "llmeval.yaml:6:15: JMESPath expression 'answer.[text' does not compile",
    ),
    "http literal credential in a header": (
        {
            "llmeval.yaml": "models:\n  app:\n    provider: http\n    url: http://localhost:9/x\n    headers:\n      X-Api-Key: abc123def456\n"
        },
        "llmeval.yaml:6:18: header 'X-Api-Key' holds a literal credential",
    ),
    "http header template beyond env": (
        {
            "llmeval.yaml": "models:\n  app:\n    provider: http\n    url: http://localhost:9/x\n    headers:\n      X-Who: '{{ vars.user }}'\n"
        },
        "llmeval.yaml:6:14: header 'X-Who' may only use {{ env.NAME }} or {{ api_key }}",
    ),
    "http body template syntax": (
        {
            "llmeval.yaml": "models:\n  app:\n    provider: http\n    url: http://localhost:9/x\n    body: {q: '{{ prompt '}\n"
        },
        "llmeval.yaml:5:15: body template syntax error:",
    ),
    "http without url": (
        {"llmeval.yaml": "models:\n  app:\n    provider: http\n"},
        "llmeval.yaml:3:5: an http model needs a 'url'",
    ),
    "tool-call with a bad position": (
        {
            "prompts/weather/v1.yaml": PROMPT_WITH_TOOLS,
            "suites/s.yaml": SUITE.replace("position: first", "position: last"),
        },
        "suites/s.yaml:8:16: 'tool-call' position should be one of any, first, only, not 'last'",
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_located(tmp_path: Path, name: str) -> None:
    files, expected = BAD[name]
    root = project(tmp_path, files)
    found = errors_of(root)
    assert any(e.startswith(expected) for e in found), found


def test_extra_body_is_the_way_to_send_unknown_fields(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "llmeval.yaml": "models:\n  m:\n    provider: openai\n    model: x\n    params: {extra_body: {top_k: 5}}\n"
        },
    )
    assert load_project(root).settings.models["m"].params == {"extra_body": {"top_k": 5}}


def test_http_model_is_parsed(tmp_path: Path) -> None:
    root = project(
        tmp_path,
        {
            "llmeval.yaml": """
            models:
              app:
                provider: http
                url: https://app.example.com/v1/chat
                headers: {Authorization: 'Bearer {{ env.APP_TOKEN }}'}
                body: {q: '{{ prompt }}'}
                extract: {output: answer, tool_calls: calls}
                stream: true
                stream_delta: delta.text
                timeout_s: 9
            """
        },
    )
    spec = load_project(root).settings.models["app"]
    assert spec.provider == "http" and spec.stream and spec.timeout_s == 9
    assert spec.http is not None and spec.http.url == "https://app.example.com/v1/chat"
    assert spec.http.extract == {"output": "answer", "tool_calls": "calls"}
    assert spec.http.stream_delta == "delta.text" and spec.model == spec.http.url
