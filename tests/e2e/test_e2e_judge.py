"""The LLM judge through the real CLI: a judge model on the fake server grades answers,
its calls are cached and costed, and without a judge the assertions are skipped."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from e2e_project import PRICE, make_project, openai_model


def _judge_responder(request: dict) -> str:
    messages = request.get("messages") or []
    text = " ".join(str(m.get("content")) for m in messages)
    if "<<<OUTPUT" in text or "rubric" in text.lower():
        good = "case c00" in text or "case c01" in text
        return json.dumps({"reason": "checked", "pass": good, "score": 1.0 if good else 0.2})
    return messages[-1]["content"]


def _with_rubric(root: Path) -> None:
    path = root / "suites" / "e2e.yaml"
    suite = yaml.safe_load(path.read_text())
    for case in suite["cases"]:
        case["assert"].append({"type": "llm-rubric", "value": "Mentions the right case."})
    path.write_text(yaml.safe_dump(suite, sort_keys=False))


def test_judge_grades_caches_and_costs(fake_server, tmp_path):
    fake_server.responder = _judge_responder
    url = fake_server.openai_base_url
    project = make_project(tmp_path / "p", {"oa": openai_model(url, price=PRICE)}, n_cases=4)
    config = yaml.safe_load((project.root / "llmeval.yaml").read_text())
    config["models"]["judge"] = openai_model(url, price=PRICE)
    config["defaults"]["judge"] = "judge"
    (project.root / "llmeval.yaml").write_text(yaml.safe_dump(config))
    _with_rubric(project.root)

    out = project.run("run", "--run-id", "j", "--json", "--no-report")
    data = json.loads(out.stdout)
    lines = project.journal("j")
    by_case = {ln["case_id"]: ln for ln in lines}
    assert by_case["c00"]["status"] == "pass" and by_case["c02"]["status"] == "fail"
    rubric = next(a for a in by_case["c02"]["assertions"] if a["type"] == "llm-rubric")
    assert rubric["passed"] is False and rubric["reason"]
    assert all(ln["judge_cost_usd"] and ln["judge_cost_usd"] > 0 for ln in lines)
    assert data["exit_code"] == 1  # two cases fail their rubric; min_pass_rate is 1.0

    before = len(fake_server.requests)
    again = project.run("run", "--json", "--no-report")
    assert json.loads(again.stdout)["exit_code"] == 1
    assert len(fake_server.requests) == before  # generations and judge calls all cached


def test_without_a_judge_rubrics_are_skipped_with_one_line(fake_server, tmp_path):
    project = make_project(tmp_path / "p", {"oa": openai_model(fake_server.openai_base_url)})
    _with_rubric(project.root)
    out = project.run("run", "--no-report")
    assert out.returncode == 0, out.stdout + out.stderr
    # skipped is never silent: counted in the headline and said in the verdict's notes
    assert "llm-rubric assertions skipped" in out.stdout
    assert "no judge model" in out.stdout and "skipped assertions" in out.stdout
