"""Loading whole projects: the happy path, selection and cross-file checks."""

from __future__ import annotations

import pytest
from config_support import Write

from llmeval.config.project import load_project, validate_paths
from llmeval.config.prompts import resolve_prompt
from llmeval.config.templating import render_messages
from llmeval.domain.location import Location
from llmeval.errors import ConfigErrors

BASE = {
    "llmeval.yaml": """
        models:
          bot: {provider: python, target: apps/bot.py:answer}
        defaults: {models: [echo]}
    """,
    "apps/bot.py": "def answer(prompt):\n    return prompt\n",
    "prompts/support/v1.yaml": "user: 'Q: {{ question }}'\n",
    "prompts/support/v2.yaml": "system: Be nice.\nuser: 'Q: {{ question }} ({{ tone }})'\n",
    "suites/faq.yaml": """
        name: faq
        description: FAQ answers.
        prompt: support
        models: [bot, echo]
        dataset: data/faq.csv
        min_pass_rate: 0.9
        defaults:
          vars: {tone: calm}
          tags: [faq]
          assert:
            - type: latency
              threshold: 3000
        cases:
          - id: refund
            vars: {question: How long?}
            expected: 30 days
            tags: billing, refunds
            assert:
              - type: icontains
                value: 30 days
              - type: not-contains
                value: sorry
                weight: 2
                metric: politeness
          - vars: {question: Hours?, tone: brisk}
            threshold: 0.5
            critical: true
    """,
    "suites/data/faq.csv": (
        'id,question,expected,tags\n,Where is my order?,Tracking link,"shipping,orders"\n'
        'ship-2,"Two\nlines",x,\n'
    ),
    "suites/rows.yaml": """
        prompt: support@v1
        dataset: data/rows.jsonl
    """,
    "suites/data/rows.jsonl": (
        '{"question": "a", "expected": "A", "id": 7}\n\n'
        '{"id": "j2", "vars": {"question": "b"}, "assert": [{"type": "equals", "value": "B"}]}\n'
    ),
    "suites/plain.yaml": """
        cases:
          - vars: {input: "hello {{ x }}"}
    """,
}


def test_happy_path(write: Write) -> None:
    project = load_project(write(BASE))
    assert list(project.suites) == ["faq", "plain", "rows"]
    faq = project.suites["faq"]
    assert (faq.path, faq.prompts, faq.models) == ("suites/faq.yaml", ("support",), ("bot", "echo"))
    assert faq.min_pass_rate == 0.9 and faq.description == "FAQ answers."
    assert resolve_prompt(project.prompts, faq.prompts[0]).version == 2  # bare: highest
    assert [c.id for c in faq.cases] == ["refund", "case-2", "row-1", "ship-2"]
    refund, second, row1, ship2 = faq.cases
    assert refund.vars == {"tone": "calm", "question": "How long?"}
    assert refund.tags == ("faq", "billing", "refunds") and refund.expected == "30 days"
    assert [a.name for a in refund.assertions] == ["latency", "icontains", "not-contains"]
    neg = refund.assertions[2]
    assert (neg.type, neg.negate, neg.weight, neg.metric) == ("contains", True, 2, "politeness")
    assert refund.location == Location("suites/faq.yaml", 14, 5)
    assert second.vars == {"tone": "brisk", "question": "Hours?"}
    assert (second.threshold, second.critical) == (0.5, True)
    assert row1.vars == {"tone": "calm", "question": "Where is my order?"}
    assert row1.tags == ("faq", "shipping", "orders") and row1.expected == "Tracking link"
    assert row1.location == Location("suites/data/faq.csv", 2)
    assert ship2.vars["question"] == "Two\nlines" and ship2.location.line == 3
    assert [a.name for a in row1.assertions] == ["latency"]


def test_jsonl_rows_flat_and_case_shaped(write: Write) -> None:
    rows = load_project(write(BASE)).suites["rows"]
    assert [c.id for c in rows.cases] == ["7", "j2"]
    assert rows.cases[0].vars == {"question": "a"} and rows.cases[0].expected == "A"
    assert rows.cases[1].location == Location("suites/data/rows.jsonl", 3)
    assert [a.name for a in rows.cases[1].assertions] == ["equals"]


def test_suite_without_prompt_sends_input(write: Write) -> None:
    project = load_project(write(BASE))
    plain = project.suites["plain"]
    prompt = resolve_prompt(project.prompts, plain.prompts[0])
    assert (prompt.name, prompt.version) == ("inline", 0)
    assert project.prompts["inline"][0] is prompt
    (msg,) = render_messages(prompt, plain.cases[0].vars)
    assert (msg.role, msg.content) == ("user", "hello {{ x }}")


@pytest.mark.parametrize("only", [["faq"], ["suites/faq.yaml"]])
def test_only_selects_by_name_or_path(
    write: Write, only: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write({**BASE, "suites/broken.yaml": "name: broken\ncases: [\n"})
    monkeypatch.chdir(root)
    assert list(load_project(root, only=only).suites) == ["faq"]  # broken.yaml not reported


def test_unknown_suite_name(write: Write) -> None:
    with pytest.raises(ConfigErrors, match=r"no suite named 'fqa' \(did you mean 'faq'\?\)"):
        load_project(write(BASE), only=["fqa"])


def test_selected_broken_suite_is_reported(write: Write) -> None:
    root = write({**BASE, "suites/broken.yaml": "name: broken\ncases: [\n"})
    with pytest.raises(ConfigErrors, match=r"suites/broken\.yaml:3:1: YAML syntax error"):
        load_project(root, only=["broken"])


def test_model_names_in_suites_resolve(write: Write) -> None:
    root = write(
        {
            **BASE,
            "suites/rows.yaml": "prompt: support@v1\nmodels: [bott]\ncases: [{vars: {q: q}}]\n",
        }
    )
    with pytest.raises(ConfigErrors) as info:
        load_project(root)
    assert str(info.value).startswith(
        "suites/rows.yaml:2:10: unknown model 'bott' (did you mean 'bot'?)"
    )


def test_duplicate_suite_names(write: Write) -> None:
    root = write({**BASE, "suites/again.yaml": "name: faq\ncases: [{vars: {input: x}}]\n"})
    with pytest.raises(ConfigErrors, match=r"suites/faq\.yaml:1:1: a second suite named 'faq'"):
        load_project(root)


def test_validate_paths(write: Write) -> None:
    root = write({**BASE, "suites/bad.yaml": "promt: x\n"})
    assert validate_paths(root, [root / "suites/faq.yaml"]) == []
    assert [str(e) for e in validate_paths(root, [root / "suites/bad.yaml"])] == [
        "suites/bad.yaml:1:1: unknown field 'promt' (did you mean 'prompt'?)"
    ]
    assert len(validate_paths(root)) == 1  # the whole project
    (outside,) = validate_paths(root, [root.parent])
    assert "path outside the project" in str(outside)


def test_ten_thousand_cases_load(write: Write) -> None:
    lines = [
        "prompt: support@v1",
        "defaults:",
        "  assert:",
        "    - {type: latency, threshold: 9}",
        "cases:",
    ]
    for i in range(10_000):
        lines += [
            f"  - id: c{i}",
            f"    vars: {{question: 'q{i}'}}",
            "    assert:",
            f"      - {{type: contains, value: '{i}'}}",
        ]
    root = write({**BASE, "suites/big.yaml": "\n".join(lines) + "\n"})
    big = load_project(root, only=["big"]).suites["big"]
    assert len(big.cases) == 10_000 and big.cases[-1].location == Location(
        "suites/big.yaml", 40_002, 5
    )
    # defaults are shared, not copied per case
    assert big.cases[0].assertions[0] is big.cases[-1].assertions[0]


def test_ab_prompts_and_yaml_dataset(write: Write) -> None:
    root = write(
        {
            **BASE,
            "suites/ab.yaml": """
                prompts: [support@v1, support@2]
                dataset: data/cases.yaml
            """,
            "suites/data/cases.yaml": """
                - id: y1
                  vars: {question: q, tone: t}
                  assert: [{type: equals, value: x}]
                - vars: {question: r, tone: t}
            """,
        }
    )
    ab = load_project(root, only=["ab"]).suites["ab"]
    assert ab.prompts == ("support@v1", "support@2")
    assert [c.id for c in ab.cases] == ["y1", "row-2"]
    assert ab.cases[1].location == Location("suites/data/cases.yaml", 4, 3)


def test_suite_json_schema_accepts_suites_and_rejects_typos() -> None:
    import jsonschema

    from llmeval.config.schema import suite_json_schema

    schema = suite_json_schema()
    good = {
        "prompt": "support@v2",
        "models": "bot",
        "defaults": {"assert": [{"type": "latency", "threshold": 3000}], "tags": "a, b"},
        "cases": [{"id": "x", "vars": {"q": 1}, "assert": [{"type": "regex", "value": "a"}]}],
    }
    jsonschema.validate(good, schema)
    with pytest.raises(jsonschema.ValidationError, match="promt"):
        jsonschema.validate({"promt": "x"}, schema)
    with pytest.raises(jsonschema.ValidationError, match="var"):
        jsonschema.validate({"cases": [{"var": {}}]}, schema)
