"""The importer's translations, one promptfoo feature at a time, on small configs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from llmeval.config.project import load_project
from llmeval.importers.promptfoo import convert, find_config, write
from llmeval.importers.promptfoo import js as pfjs


def _config(tmp_path: Path, text: str, **files: str) -> Path:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    for name, body in files.items():
        stem, _, ext = name.replace("__", "/").rpartition("_")  # p__a_txt -> p/a.txt
        path = src / f"{stem}.{ext}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))
    cfg = src / "promptfooconfig.yaml"
    cfg.write_text(textwrap.dedent(text))
    return cfg


def _project(tmp_path: Path, text: str, **files: str):
    imported = convert(_config(tmp_path, text, **files), offline=True)
    out = tmp_path / "out"
    write(imported, out)
    return imported, load_project(out)


def _cases(project):
    return next(iter(project.suites.values())).cases


def test_var_arrays_expand_to_the_cartesian_product(tmp_path: Path):
    imported, project = _project(
        tmp_path,
        """
        prompts: ['{{a}} {{b}}']
        providers: [echo]
        tests:
          - vars: {a: [x, y], b: [1, 2, 3]}
            assert: [{type: contains, value: '{{a}}'}]
        """,
    )
    cases = _cases(project)
    assert sorted((c.vars["a"], c.vars["b"]) for c in cases) == [
        (a, b) for a in "xy" for b in (1, 2, 3)
    ]
    assert len({c.id for c in cases}) == 6
    # the assertion value is rendered with each case's vars when the suite loads
    assert {c.assertions[0].value for c in cases} == {"x", "y"}
    assert not imported.notes.items


def test_disable_var_expansion_keeps_lists(tmp_path: Path):
    _, project = _project(
        tmp_path,
        """
        prompts: ['{{ a | join(",") }}']
        providers: [echo]
        defaultTest: {options: {disableVarExpansion: true}}
        tests: [{vars: {a: [x, y]}}]
        """,
    )
    assert [c.vars["a"] for c in _cases(project)] == [["x", "y"]]


def test_scenarios_cross_config_with_tests(tmp_path: Path):
    imported, project = _project(
        tmp_path,
        """
        prompts: ['Translate to {{language}}: {{input}}']
        providers: [echo]
        scenarios:
          - description: greetings
            config:
              - vars: {language: Spanish, want: Hola}
              - vars: {language: French, want: Bonjour}
            tests:
              - description: hello
                vars: {input: Hello}
                assert: [{type: icontains, value: '{{want}}'}]
        """,
    )
    cases = _cases(project)
    assert [(c.vars["language"], c.assertions[0].value) for c in cases] == [
        ("Spanish", "Hola"),
        ("French", "Bonjour"),
    ]
    assert {c.description for c in cases} == {"greetings: hello"}
    assert not imported.notes.items


def test_default_test_becomes_suite_defaults_and_grader_the_judge(tmp_path: Path):
    cfg = _config(
        tmp_path,
        """
        prompts: ['{{q}}']
        providers:
          - id: openai:chat:gpt-4o-mini
            label: mini
            config: {temperature: 0.2, max_tokens: 100, apiKeyEnvar: MY_KEY}
          - anthropic:messages:claude-haiku-4-5
          - ollama:chat:llama3.2
        defaultTest:
          vars: {tone: calm}
          options: {provider: openai:gpt-4.1}
          assert:
            - type: llm-rubric
              value: is {{tone}}
        tests: [{vars: {q: hi}}]
        """,
    )
    imported = convert(cfg)
    models = imported.settings["models"]
    assert models["mini"] == {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "api_key_env": "MY_KEY",
        "params": {"temperature": 0.2, "max_tokens": 100},
    }
    assert models["claude-haiku-4-5"] == {"provider": "anthropic", "model": "claude-haiku-4-5"}
    assert models["llama3.2"]["base_url"] == "http://localhost:11434/v1"
    assert imported.settings["defaults"]["judge"] == "judge"
    assert models["judge"] == {"provider": "openai", "model": "gpt-4.1"}
    suite = imported.suite
    assert suite["defaults"]["vars"] == {"tone": "calm"}
    assert suite["defaults"]["assert"] == [{"type": "llm-rubric", "value": "is {{tone}}"}]
    assert not imported.notes.items
    offline = convert(cfg, offline=True)
    assert {m["provider"] for m in offline.settings["models"].values()} == {"echo", "openai"}
    assert "judge" not in offline.settings["defaults"]  # judges are skipped offline


def test_unknown_provider_secret_and_file_transform_are_reported_never_written(
    tmp_path: Path,
):
    imported = convert(
        _config(
            tmp_path,
            """
            prompts: ['{{q}}']
            providers:
              - vertex:gemini-pro
              - id: openai:gpt-4o
                config: {apiKey: sk-secret-123}
            tests:
              - vars: {q: hi}
                options: {transform: output.trim()}
                assert:
                  - {type: contains, value: hi, transform: output.toUpperCase()}
                  - {type: llm-rubric, value: ok, rubricPrompt: custom}
                  - {type: equals, value: x, transform: file://t.js}
            """,
        )
    )
    notes = [str(n) for n in imported.notes.items]
    assert notes[0].startswith(
        "promptfooconfig.yaml:4: not translated: provider 'vertex:gemini-pro'"
    )
    assert any("provider 'apiKey'" in n for n in notes)
    assert not any("'transform'" in n or "toUpperCase" in n for n in notes)  # kept
    assert "promptfooconfig.yaml:13: not translated: transform 'file://t.js'" in "\n".join(notes)
    case = imported.suite["cases"][0]
    assert case["transform"] == "output.trim()"
    assert case["assert"][0] == {"type": "contains", "value": "hi",
                                 "transform": "output.toUpperCase()"}  # fmt: skip
    assert [a["type"] for a in case["assert"]] == ["contains", "llm-rubric"]
    assert any("option 'rubricPrompt' of a 'llm-rubric'" in n for n in notes)
    assert "sk-secret" not in repr(imported.settings)


def test_prompt_files_text_split_json_yaml_and_globs(tmp_path: Path):
    imported, project = _project(
        tmp_path,
        """
        prompts:
          - file://p/*.txt
          - file://chat.json
          - id: file://chat.yaml
            label: yaml-chat
        providers: [echo]
        tests: [{vars: {x: 1, items: [1, 2]}}]
        """,
        p__a_txt="first {{x}}\n---\nsecond {{ items.length }}\n",
        p__b_txt="third {{x}}\n",
        chat_json='[{"role": "system", "content": "sys"}, {"role": "user", "content": "{{x}}"}]',
        chat_yaml="- role: user\n  content: 'yaml {{x}}'\n",
    )
    assert list(imported.prompts) == ["a-1", "a-2", "b", "chat", "yaml-chat"]
    assert imported.prompts["a-2"]["user"] == "second {{ (items | length) }}"
    assert imported.prompts["chat"]["messages"][0] == {"role": "system", "content": "sys"}
    assert len(_cases(project)) == 2  # items: [1, 2] expands
    assert not imported.notes.items


def test_ref_templates_inline_python_and_file_vars(tmp_path: Path):
    imported, project = _project(
        tmp_path,
        """
        prompts: ['{{doc}}']
        providers: [echo]
        assertionTemplates:
          hasA: {type: icontains, value: a}
        tests:
          - vars: {doc: file://docs/one.txt}
            assert:
              - $ref: '#/assertionTemplates/hasA'
              - type: python
                value: len(output) > 2
              - type: python
                value: file://check.py
        """,
        docs__one_txt="alpha doc\n",
        check_py="def get_assert(output, context):\n    return True\n",
    )
    case = _cases(project)[0]
    assert case.vars["doc"] == "alpha doc\n"  # llmeval reads file:// vars itself
    types = [a.type for a in case.assertions]
    assert types == ["icontains", "python", "python"]
    scorer = next(p for p in imported.scorers)
    assert "return len(output) > 2" in imported.scorers[scorer]
    assert (tmp_path / "out" / "docs" / "one.txt").is_file()
    assert (tmp_path / "out" / "check.py").is_file()


def test_csv_tests_with_special_columns_and_untranslated_js(tmp_path: Path):
    imported, project = _project(
        tmp_path,
        """
        prompts: ['{{q}}']
        providers: [echo]
        tests: file://t.csv
        """,
        t_csv=(
            "q,__expected1,__expected2,__threshold,__description\n"
            "hello,contains: hel,\"fn:output.includes('lo')\",0.5,greets\n"
            "bye,not-contains:x,javascript: Math.random() > 2,,\n"
        ),
    )
    first, second = _cases(project)
    assert [(a.type, a.value) for a in first.assertions] == [
        ("contains", "hel"),
        ("contains", "lo"),
    ]
    assert first.threshold == 0.5 and first.description == "greets"
    # llmeval runs javascript assertions itself (llmeval[js]): kept as written, no note
    assert [a.name for a in second.assertions] == ["not-contains", "javascript"]
    assert [str(n) for n in imported.notes.items] == []


@pytest.mark.parametrize(
    "code, expected",
    [
        ("output.includes('Paris')", [{"type": "contains", "value": "Paris"}]),
        (
            'return output.toLowerCase().includes("paris");',
            [{"type": "icontains", "value": "paris"}],
        ),
        ("!output.includes('sorry')", [{"type": "not-contains", "value": "sorry"}]),
        ("output.startsWith('Ahoy')", [{"type": "starts-with", "value": "Ahoy"}]),
        ("output.endsWith('.')", [{"type": "regex", "value": r"\.\Z"}]),
        ("output.length <= 100", [{"type": "regex", "value": r"\A[\s\S]{0,100}\Z"}]),
        ("output.length > 5", [{"type": "regex", "value": r"\A[\s\S]{6,}\Z"}]),
        ("/^yes\\b/i.test(output)", [{"type": "regex", "value": r"(?i)^yes\b"}]),
        ("output === 'ok'", [{"type": "equals", "value": "ok"}]),
        ("output.includes(context.vars.city)", [{"type": "contains", "value": "{{ city }}"}]),
        (
            "output.includes('a') || output.includes('b')",
            [{"type": "contains-any", "value": ["a", "b"]}],
        ),
        (
            "JSON.parse(output).n === 3",
            [
                {
                    "type": "is-json",
                    "value": {
                        "type": "object",
                        "required": ["n"],
                        "properties": {"n": {"const": 3}},
                    },
                }
            ],
        ),
    ],
)
def test_js_patterns(code: str, expected: list):
    assert pfjs.translate(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        "Math.max(0, 1 - output.length / 100)",
        "output.toLowerCase().includes('Paris')",  # never true in JS: not an icontains
        "output.includes('a\\nb')",  # escapes beyond quotes are not guessed at
        "output.length < 10 ? 1 : 0",
        "JSON.parse(output).items.length === 2",
        "JSON.parse(output).n == 3",  # loose equality coerces
        "/x/y.test(output)",  # sticky flag
        "const x = 1;\nreturn x",
        "output.includes('a') || output.startsWith('b')",
    ],
)
def test_js_outside_the_patterns_stays_untranslated(code: str):
    assert pfjs.translate(code) is None


def test_js_semantics_on_outputs():
    """The translated checks give JavaScript's answer on real outputs."""
    import json
    import re

    import jsonschema

    [length] = pfjs.translate("output.length <= 5")
    assert re.search(length["value"], "12345") and not re.search(length["value"], "123456")
    assert re.search(length["value"], "12\n45")  # \s\S counts newlines, like JS
    [schema] = pfjs.translate(
        "JSON.parse(output).color === 'yellow' && JSON.parse(output).countries.includes('Ecuador')"
    )
    ok = json.loads('{"color": "yellow", "countries": ["Peru", "Ecuador"]}')
    jsonschema.validate(ok, schema["value"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"color": "yellow", "countries": ["Peru"]}, schema["value"])


def test_jsonl_tests_var_globs_and_templated_metric_names(tmp_path: Path):
    imported, project = _project(
        tmp_path,
        """
        prompts: ['{{doc}}']
        providers: [echo]
        defaultTest:
          assert: [{type: icontains, value: a, metric: '{{style}}Tone'}]
        tests:
          - file://t.jsonl
          - vars: {doc: 'file://docs/*.txt', style: plain}
        """,
        t_jsonl='{"vars": {"doc": "abc", "style": "pirate"}, "assert": [{"type": "contains", "value": "b"}]}\n',
        docs__a_txt="first",
        docs__b_txt="second",
    )
    cases = _cases(project)
    assert [c.vars["doc"] for c in cases] == ["abc", "first", "second"]
    assert [c.assertions[0].metric for c in cases] == ["pirateTone", "plainTone", "plainTone"]
    assert [a.type for a in cases[0].assertions] == ["icontains", "contains"]
    assert not imported.notes.items


def test_test_level_grader_goes_to_its_judge_assertions(tmp_path: Path):
    imported = convert(
        _config(
            tmp_path,
            """
            prompts: ['{{q}}']
            providers: [echo]
            tests:
              - vars: {q: hi}
                options: {provider: anthropic:messages:claude-haiku-4-5}
                assert: [{type: llm-rubric, value: polite}, {type: contains, value: hi}]
            """,
        )
    )
    rubric, contains = imported.suite["cases"][0]["assert"]
    assert rubric["provider"] == "claude-haiku-4-5" and "provider" not in contains
    assert imported.settings["models"]["claude-haiku-4-5"]["provider"] == "anthropic"


@pytest.mark.parametrize(
    ("written", "note"),
    [
        ("meteor", "assertion type 'meteor' (promptfoo's 'meteor' is not supported by llmeval: "
                   "use 'rouge-l', 'chrf' or 'bleu')"),
        ("classifier", "is not supported by llmeval: a HuggingFace classifier; use "
                       "'classification'"),
        ("context-recal", "assertion type 'context-recal' (unknown type; did you mean "
                          "'context-recall'?)"),
        ("not-ruby", "assertion type 'not-ruby' (promptfoo's 'ruby' is not supported"),
        ("frobnicate", "assertion type 'frobnicate' (unknown type)"),
    ],
)  # fmt: skip
def test_an_unknown_type_is_reported_with_the_closest_equivalent(
    tmp_path: Path, written: str, note: str
):
    (tmp_path / "promptfooconfig.yaml").write_text(
        "prompts: ['{{q}}']\nproviders: [echo]\ntests:\n"
        f"  - vars: {{q: hi}}\n    assert: [{{type: {written}, value: x}}]\n"
    )
    imported = convert(find_config(tmp_path), offline=True)
    assert len(imported.notes.items) == 1 and note in str(imported.notes.items[0])
    assert "assert" not in imported.suite["cases"][0]  # left out, and listed


def test_renamed_types_follow_the_one_table(tmp_path: Path):
    (tmp_path / "promptfooconfig.yaml").write_text(
        "prompts: ['{{q}}']\nproviders: [echo]\ntests:\n"
        "  - vars: {q: hi}\n    assert: [{type: is-refusal}, {type: not-is-refusal}]\n"
    )
    imported = convert(find_config(tmp_path), offline=True)
    assert [a["type"] for a in imported.suite["cases"][0]["assert"]] == ["refusal", "not-refusal"]
