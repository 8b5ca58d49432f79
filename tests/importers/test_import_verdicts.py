"""Verdicts of the six fixtures not covered in test_import_fixtures, worked out by hand.

Each imported project runs offline: the models answer from a canned table (or echo),
and where promptfoo's verdict depends on a judge, a python judge gives a fixed verdict
per (rubric, output), so the same grades go to promptfoo's rules and to llmeval's. The
comment on each expectation is promptfoo's reasoning on those outputs and grades
(promptfoo 0.123: ``src/assertions/*.ts``, ``assertionsResult.ts``).
"""

from __future__ import annotations

import json
from pathlib import Path

from promptfoo_runs import _by_vars, _imported, _run

from llmeval.config.project import load_project

# grade(messages): a verdict for the rubric and output in llmeval's judge prompt
JUDGE = """
import json

RULES = {RULES!r}


def grade(messages):
    text = messages[-1]["content"]
    rubric, _, output = text.partition("OUTPUT to grade:")
    for in_rubric, in_output, verdict in RULES:
        if in_rubric in rubric and in_output in output:
            return json.dumps({{"reason": "rule", **verdict}})
    return json.dumps({{"reason": "fine", "pass": True, "score": 0.9}})
"""


def _judge(rules: list[tuple[str, str, dict]]) -> str:
    return JUDGE.format(RULES=rules)


def _journal(project: Path) -> list[dict]:
    journal = next((project / ".llmeval" / "runs").glob("*/results.jsonl"))
    return [json.loads(line) for line in journal.read_text().splitlines()]


def test_assistant_cli_without_assertions_passes(tmp_path: Path):
    # promptfoo: a test with no assertions is "No assertions", pass (noAssertsResult);
    # 4 rows x 2 prompts from prompts.txt's '---' split
    project = _imported("assistant-cli", tmp_path)
    statuses = _run(project)
    assert len(statuses) == 8 and set(statuses.values()) == {"pass"}
    outputs = {r["output"] for r in _journal(project)}
    assert any(o.endswith("Use markdown for emphasis") for o in outputs)  # the second prompt
    assert "Answer this user's question: Bob: \"Can you help me find" in "\n".join(outputs)


def test_claude_vs_gpt_verdicts(tmp_path: Path):
    riddles = [t["vars"]["riddle"] for t in _tests("claude-vs-gpt")]
    canned = {
        riddles[0]: "An echo.",
        riddles[1]: "Darkness.",
        riddles[2]: "Fire." + " It burns." * 110,  # 1105 chars
        riddles[3]: "A piano" + "." * 543,  # 550 chars
    }
    rules = [("Do not apologize", "echo", {"pass": True, "score": 1.0})]
    project = _imported("claude-vs-gpt", tmp_path, canned, cost=0.0, judge=_judge(rules))
    got = _by_vars(project, _run(project), "riddle")
    # every test also has defaultTest's cost <= 0.01 (0 reported), latency <= 3000 ms and
    # the javascript score: <= 100 chars 1, > 1000 chars 0, else 1 - (len - 100) / 900;
    # a number without threshold passes when > 0 (javascript.ts)
    assert got[riddles[0]] == {"pass"}  # icontains echo, rubric passes, score 1
    assert got[riddles[1]] == {"pass"}  # icontains darkness
    assert got[riddles[2]] == {"fail"}  # contains fire, but 1105 chars: score 0 fails
    assert got[riddles[3]] == {"pass"}  # piano; 1 - 450/900 = 0.5 > 0 passes


def test_claude_vs_gpt_fails_when_cost_is_over_the_threshold(tmp_path: Path):
    riddles = [t["vars"]["riddle"] for t in _tests("claude-vs-gpt")]
    canned = dict.fromkeys(riddles, "echo darkness fire piano")
    project = _imported("claude-vs-gpt", tmp_path, canned, cost=0.02, judge=_judge([]))
    # cost 0.02 > threshold 0.01: the cost assertion fails every test (cost.ts)
    assert set(_run(project).values()) == {"fail"}


def test_eval_custom_grader_csv_verdicts(tmp_path: Path):
    # __expected 'javascript:file://customAssertion.ts': its default export returns
    # output.toLowerCase() includes 'ahoy' or 'bonjour' (a boolean: the verdict)
    canned = {"French": "BONJOUR le monde", "Pirate": "Arr, me belly be empty"}
    project = _imported("eval-custom-grader-csv", tmp_path, canned)
    assert _by_vars(project, _run(project), "language") == {"French": {"pass"}, "Pirate": {"fail"}}
    echo = _imported("eval-custom-grader-csv", tmp_path / "echo")
    # echo: "Rephrase this in French: Hello world" has neither word: every test fails
    assert set(_run(echo).values()) == {"fail"}


def test_eval_customer_support_rubric_verdicts(tmp_path: Path):
    # echo returns the row's canned reply (the prompt is {{reply}}), as promptfoo's echo
    rules = [
        ("honest about what it can", "penalizacion", {"pass": False, "score": 0.2}),
        ("resolves the customer's issue", "fix ETA is 18:00", {"pass": True, "score": 0.7}),
        ("same language", "this includes the router", {"pass": False, "score": 0.3}),
    ]
    project = _imported("eval-customer-support-rubric", tmp_path, judge=_judge(rules))
    got = _by_vars(project, _run(project), "customer_message")
    by_desc = {c.description: got[str(c.vars["customer_message"])] for c in _cases(project)}
    # llm-rubric with threshold 0.8: pass = judge's pass && score >= 0.8 (llmRubric.ts)
    assert by_desc["ES refund ticket answered in Spanish"] == {"pass"}  # all 0.9, pass
    assert by_desc["ES billing reply with an invented policy"] == {"fail"}  # honest: pass false
    # 'resolved': the judge says pass but 0.7 < 0.8: the assertion fails, so the test
    assert by_desc["EN outage ticket answered in English"] == {"fail"}
    # __threshold 0: a numeric test threshold overrides the assertions' pass/fail and
    # score >= 0 always holds (assertionsResult.ts honours 0), so the mixed reply passes
    assert by_desc["ES tariff reply mixing languages"] == {"pass"}


def test_eval_self_grading_verdicts(tmp_path: Path):
    canned = {
        "Bob": "Sure, Bob! Type the product name in the search bar at the top of the page.",
        "Jane": "As an AI assistant I cannot see today's promotions, sorry.",
    }
    rules = [("Do not mention that you are an AI", "As an AI", {"pass": False, "score": 0.0})]
    project = _imported("eval-self-grading", tmp_path, canned, judge=_judge(rules))
    got = _by_vars(project, _run(project), "name")
    # javascript Math.max(0, Math.min(1, 1 - (len - 100) / 900)): both under 100 chars
    # score 1; the rubric fails Jane's answer, which fails the test (no test threshold)
    assert got == {"Bob": {"pass"}, "Jane": {"fail"}}


def test_eval_self_grading_long_answer_fails_on_the_javascript_score(tmp_path: Path):
    canned = {"Bob": "Sure! " + "Shoes. " * 150, "Jane": "Yes: 10% off all sneakers."}
    project = _imported("eval-self-grading", tmp_path, canned, judge=_judge([]))
    # Bob: 1056 chars, 1 - 956/900 < 0, clamped to 0: a score of 0 fails (javascript.ts)
    assert _by_vars(project, _run(project), "name") == {"Bob": {"fail"}, "Jane": {"pass"}}


def test_multiple_turn_conversation_runs_each_thread_as_one_case(tmp_path: Path):
    project = _imported("multiple-turn-conversation", tmp_path)
    statuses = _run(project)
    # promptfoo: 5 tests without assertions all pass; here 2 conversations, both pass
    assert sorted(statuses.values()) == ["pass", "pass"]
    rows = {r["case_id"]: r for r in _journal(project)}
    facebook = rows["conversation-facebook-thread"]["messages"]
    # what promptfoo's prompt.json renders for the third test: the system message, then
    # each earlier turn's last input message and output (_conversation), then the question
    assert [(m["role"], m["content"]) for m in facebook] == [
        ("system", "You are a helpful assistant"),
        ("user", "Who founded Facebook?"),
        ("assistant", "Who founded Facebook?"),
        ("user", "Where does he live?"),
        ("assistant", "Where does he live?"),
        ("user", "Which state is that in?"),
        ("assistant", "Which state is that in?"),
    ]
    weather = rows["conversation-weather-thread"]["messages"]
    assert [m["content"] for m in weather if m["role"] == "user"] == [
        "What's the weather like in San Francisco?",
        "Do I need an umbrella today?",
    ]  # the second thread starts afresh


def _tests(name: str) -> list[dict]:
    from promptfoo_runs import FIXTURES

    from llmeval.config.yaml import load_yaml

    path = FIXTURES / name / "promptfooconfig.yaml"
    return list(load_yaml(path, path.name, [], core_schema=True)["tests"])


def _cases(project: Path):
    return next(iter(load_project(project).suites.values())).cases
