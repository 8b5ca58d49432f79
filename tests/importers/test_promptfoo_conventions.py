"""promptfoo's conventions accepted natively: hand-written suites behave as imported ones.

Each test is one of issue 14's silent differences, on a hand-written project.
"""

from __future__ import annotations

import ast
import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from llmeval.config.project import load_project
from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.errors import ConfigError, ConfigErrors, SecurityError
from llmeval.metrics import registry
from llmeval.metrics.apply import finalize
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.pool import pool_for
from llmeval.providers.python import PythonProvider

CONFIG = "models: {bot: {provider: echo}}\ndefaults: {models: [bot]}\n"
PROMPT = "user: 'Say {{ q }}'\n"


def _project(tmp_path: Path, suite: str, **files: str) -> Path:
    root = tmp_path / "proj"
    for rel, text in {
        "llmeval.yaml": CONFIG,
        "prompts/say/v1.yaml": PROMPT,
        "suites/s.yaml": suite,
        **files,
    }.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(rel and text))
    return root


def _llmeval(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "llmeval", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CI": "1"},
    )


def test_csv_special_columns_become_assertions_not_vars(tmp_path: Path):
    data = (
        "q,__expected,__expected2,__threshold,__description,__metadata:area,__metadata:k[]\n"
        'hi,contains: hi,"not-icontains:bye",0.5,greets,billing,"a,b\\,c"\n'
        "yo,yo there,,,,,\n"
    )
    root = _project(tmp_path, "prompt: say\ndataset: d.csv\n", **{"suites/d.csv": data})
    first, second = load_project(root).suites["s"].cases
    assert first.vars == {"q": "hi"}  # no special column leaks into vars
    assert [(a.name, a.value) for a in first.assertions] == [
        ("contains", "hi"),
        ("not-icontains", "bye"),
    ]
    assert first.threshold == 0.5 and first.description == "greets"
    assert set(first.tags) == {"area=billing", "k=a", "k=b,c"}
    assert [(a.type, a.value) for a in second.assertions] == [("equals", "yo there")]


def test_csv_special_column_problems_point_at_the_row(tmp_path: Path):
    data = "q,__threshold,__prefix\nhi,lots,Hello\n"
    root = _project(tmp_path, "prompt: say\ndataset: d.csv\n", **{"suites/d.csv": data})
    with pytest.raises(ConfigErrors) as e:
        load_project(root)
    text = str(e.value)
    assert "suites/d.csv:2:1: column '__threshold' should be a number" in text
    assert "suites/d.csv:2:1: column '__prefix' (text added to the prompt) is not supported" in text


def test_csv_without_id_gets_content_ids_stable_under_insertion(tmp_path: Path):
    root = _project(
        tmp_path, "prompt: say\ndataset: d.csv\n", **{"suites/d.csv": "q\nalpha\nbeta\n"}
    )
    before = [c.id for c in load_project(root).suites["s"].cases]
    (root / "suites/d.csv").write_text("q\nnew\nalpha\nbeta\nbeta\n")
    after = [c.id for c in load_project(root).suites["s"].cases]
    assert after[1:3] == before and after[3] == before[1] + "-2"
    assert all(i.startswith("row-") for i in after)
    out = _llmeval(root, "validate")
    assert out.returncode == 0, out.stderr
    assert "warning: suites/d.csv: no 'id' column" in out.stderr


def test_file_vars_load_the_file_and_stay_in_the_project(tmp_path: Path):
    suite = "prompt: say\ncases:\n  - id: a\n    vars: {q: file://docs/q.txt}\n"
    root = _project(tmp_path, suite, **{"docs/q.txt": "from a file", "suites/q.yaml": "x"})
    (root / "suites/q.yaml").unlink()
    case = load_project(root).suites["s"].cases[0]
    assert case.vars["q"] == "from a file"
    (tmp_path / "secret.txt").write_text("outside")
    (root / "suites/s.yaml").write_text(suite.replace("docs/q.txt", "../../secret.txt"))
    with pytest.raises(ConfigErrors) as e:
        load_project(root)
    assert isinstance(e.value.errors[0], SecurityError)
    assert "suites/s.yaml:3:5: var 'q' file" in str(e.value)  # at the case
    (root / "suites/s.yaml").write_text(suite.replace("docs/q.txt", "docs/missing.txt"))
    with pytest.raises(ConfigErrors, match="not found"):
        load_project(root)


def test_assertion_values_are_rendered_with_the_case_vars_once(tmp_path: Path):
    suite = """
    prompt: say
    cases:
      - id: a
        vars: {q: "{{ not_a_var }}", city: Paris}
        assert:
          - {type: contains, value: "{{ city }}"}
          - {type: contains, value: "{{ q }}"}
          - {type: llm-rubric, value: "mentions {{ city }}"}
    """
    root = _project(tmp_path, suite)
    case = load_project(root).suites["s"].cases[0]
    contains_city, contains_q, rubric = case.assertions
    assert contains_city.value == "Paris"
    assert contains_q.value == "{{ not_a_var }}"  # a var's value is data: one pass only
    assert rubric.value == "mentions {{ city }}"  # the judge renders its own template
    bad = suite.replace('{{ city }}"}', '{{ nope }}"}')
    (root / "suites/s.yaml").write_text(textwrap.dedent(bad))
    with pytest.raises(ConfigErrors, match="'nope' is undefined"):
        load_project(root)


def _request(text: str, vars: dict) -> CompletionRequest:
    spec = ModelSpec(alias="t", provider="python", model="t.py:call_api")
    return CompletionRequest(model=spec, messages=(Message(role="user", content=text),), vars=vars)


def test_promptfoo_call_api_signature(tmp_path: Path):
    (tmp_path / "t.py").write_text(
        "def call_api(prompt, options, context):\n"
        "    return {'output': f\"{prompt}|{options['config']['k']}|{context['vars']['x']}\",\n"
        "            'tokenUsage': {'prompt': 3, 'completion': 4}}\n"
    )
    spec = ModelSpec(alias="t", provider="python", model="t.py:call_api", params={"k": "v"})
    provider = PythonProvider(spec, tmp_path)
    done = asyncio.run(provider.complete(_request("hello", {"x": 1})))
    assert done.text == "hello|v|1"
    assert (done.input_tokens, done.output_tokens) == (3, 4)


def test_validate_rejects_a_target_signature_llmeval_cannot_call(tmp_path: Path):
    root = _project(tmp_path, "prompt: say\ncases: [{id: a, vars: {q: x}}]\n")
    (root / "app.py").write_text("def answer(question, history):\n    return 'x'\n")
    (root / "llmeval.yaml").write_text(
        "models: {bot: {provider: python, target: app.py:answer}}\ndefaults: {models: [bot]}\n"
    )
    out = _llmeval(root, "validate")
    assert out.returncode == 4
    assert "missing a required argument: 'history'" in out.stderr
    with pytest.raises(ConfigError, match="missing a required argument: 'crm_id'"):
        (root / "app.py").write_text("def answer(vars, crm_id):\n    return 'x'\n")
        PythonProvider(ModelSpec(alias="b", provider="python", model="app.py:answer"), root)


SCORER = """
def ctx(output, context):
    return {"pass": True, "score": 1, "reason": repr(sorted(context)),
            "namedScores": {"tone": 0.5},
            "componentResults": [{"pass": False, "score": 0.2, "assertion": {"metric": "facts"}}]}

def big(output, context):
    return 5

def keys(output, context):
    return {"pass": context["prompt"] == "Say hi" and context["vars"] == {"q": "hi"}
            and context["test"]["id"] == "c1"}
"""


async def _score(root: Path, target: str) -> object:
    spec = AssertionSpec(type="python", value=target)
    defn, fn = registry.build(spec, BuildContext(root=root))
    case = Case(id="c1", vars={"q": "hi"})
    msgs = (Message(role="user", content="Say hi"),)
    ctx = ScoreContext(output="out", case=case, messages=msgs, model="echo")
    return finalize(defn, spec, await fn(ctx, None))


def test_scorer_context_named_scores_and_scores_above_one(tmp_path: Path):
    (tmp_path / "s.py").write_text(SCORER)
    try:
        r = asyncio.run(_score(tmp_path, "s.py:ctx"))
        assert {"prompt", "vars", "test"} <= set(ast.literal_eval(r.reason))
        assert r.details["named_scores"] == {"tone": 0.5, "facts": 0.2}
        big = asyncio.run(_score(tmp_path, "s.py:big"))
        assert big.passed is True and big.score == 1.0
        assert "score 5 outside [0, 1], recorded as 1" in big.reason  # never silent
        assert big.details["raw_score"] == 5
        assert asyncio.run(_score(tmp_path, "s.py:keys")).passed is True
    finally:
        pool_for(tmp_path.resolve()).close()


def test_expected_strings_read_as_promptfoo_reads_them():
    from llmeval.config.expected import assertion_from_string as a

    assert a("contains: foo") == {"type": "contains", "value": "foo"}
    assert a("not-icontains:Bar") == {"type": "not-icontains", "value": "Bar"}
    assert a("similar(0.9): hi") == {"type": "similar", "value": "hi", "threshold": 0.9}
    assert a("similar: hi")["threshold"] == 0.8
    assert a("levenshtein(3): abc") == {"type": "levenshtein", "value": "abc", "threshold": 3.0}
    assert a("contains-any: a, b") == {"type": "contains-any", "value": ["a", "b"]}
    assert a("fn:output.length > 1") == {"type": "javascript", "value": "output.length > 1"}
    assert a("grade: polite") == {"type": "llm-rubric", "value": "polite"}
    assert a("file://check.py:f") == {"type": "python", "value": "check.py:f"}
    assert a("is-json") == {"type": "is-json"}
    assert a("Paris: the capital") == {"type": "equals", "value": "Paris: the capital"}
    assert json.dumps(a("plain text")) == '{"type": "equals", "value": "plain text"}'


def test_unknown_judge_options_are_validate_errors_with_their_line(tmp_path: Path):
    suite = """
    prompt: say
    cases:
      - id: a
        vars: {q: x}
        assert:
          - {type: llm-rubric, value: ok, rubricPrompt: custom}
    """
    root = _project(tmp_path, suite)
    out = _llmeval(root, "validate")
    assert out.returncode == 4
    assert "suites/s.yaml:7:" in out.stderr and "unknown option 'rubricPrompt'" in out.stderr


def test_named_scores_become_suite_metrics(tmp_path: Path):
    suite = """
    prompt: say
    cases:
      - id: a
        vars: {q: x}
        assert:
          - {type: python, value: "scorer.py:s"}
    """
    scorer = "def s(output, context):\n    return {'pass': True, 'namedScores': {'tone': 0.25}}\n"
    root = _project(tmp_path, suite, **{"scorer.py": scorer})
    out = _llmeval(root, "run", "--json", "--no-report")
    assert out.returncode == 0, out.stderr
    group = json.loads(out.stdout)["summary"]["groups"][0]
    assert group["metrics"]["tone"] == 0.25


def test_weight_zero_assertions_count_but_do_not_decide():
    # promptfoo: a weight-0 assertion is metric-only (its named score is kept, the
    # test's pass and weighted score ignore it: assertionsResult.ts metricOnly)
    from llmeval.domain.record import AssertionResult
    from llmeval.domain.suite import Case
    from llmeval.metrics.apply import case_verdict

    counted = AssertionResult(type="contains", status="fail", score=0.0, weight=0, metric="n")
    real = AssertionResult(type="contains", status="pass", score=1.0)
    assert case_verdict(Case("c"), [real, counted]) == ("pass", 1.0)
    assert case_verdict(Case("c", threshold=0.9), [real, counted]) == ("pass", 1.0)
    failing = AssertionResult(type="contains", status="fail", score=0.0)
    assert case_verdict(Case("c"), [failing, counted])[0] == "fail"  # weight 1 still decides
