"""select-best / max-score through the real CLI: the comparison pass after the runner.

Two prompts answer each case; the judge on the fake server picks one output per case.
The pass's verdicts live in comparisons.jsonl and every reader (run --json, report,
baseline, diff) sees the same pass/fail; a rerun is served from the cache."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from e2e_project import make_project, openai_model


def _responder(request: dict) -> str:
    messages = request.get("messages") or []
    text = " ".join(str(m.get("content")) for m in messages)
    if "CRITERIA:" in text:
        # the terse prompt's output is always "OUTPUT 2" (plan order: long, terse)
        return json.dumps({"best": 2, "reason": "the shorter one"})
    return messages[-1]["content"]


def _project(fake_server, tmp_path: Path, asserts: list[dict], prompts=("long", "terse")):
    url = fake_server.openai_base_url
    project = make_project(tmp_path / "p", {"oa": openai_model(url)}, n_cases=3)
    root = project.root
    for name, text in (("long", "echo case {{ cid }} please, at length"),
                       ("terse", "echo case {{ cid }} please")):  # fmt: skip
        (root / "prompts" / name).mkdir()
        (root / "prompts" / name / "v1.yaml").write_text(f'user: "{text}"\n')
    config = yaml.safe_load((root / "llmeval.yaml").read_text())
    config["models"]["judge"] = openai_model(url)
    config["defaults"]["judge"] = "judge"
    (root / "llmeval.yaml").write_text(yaml.safe_dump(config))
    suite = yaml.safe_load((root / "suites" / "e2e.yaml").read_text())
    suite.pop("prompt")
    suite["prompts"] = [f"{p}@v1" for p in prompts]
    for case in suite["cases"]:
        case["assert"] += asserts
    (root / "suites" / "e2e.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return project


def _judge_calls(fake_server) -> int:
    return sum(1 for r in fake_server.requests if r.prompt and "CRITERIA:" in r.prompt)


def _results(project, run_id: str) -> list[dict]:
    """What every reader gets: the one journal reader, comparison verdicts applied."""
    from llmeval.engine.journal import read_journal

    return [r.to_json() for r in read_journal(project.run_dir(run_id) / "results.jsonl")]


def _status(lines: list[dict]) -> dict[tuple[str, str], str]:
    return {(ln["case_id"], ln["prompt"]): ln["status"] for ln in lines}


def test_select_best_one_winner_per_case_and_every_reader_agrees(fake_server, tmp_path):
    fake_server.responder = _responder
    project = _project(fake_server, tmp_path, [{"type": "select-best", "value": "Most concise."}])
    out = project.run("run", "--run-id", "sb", "--json", "--no-report")
    data = json.loads(out.stdout)
    assert _judge_calls(fake_server) == 3  # one per case, seeing both outputs
    by_key = {(r["case_id"], r["prompt"]): r for r in _results(project, "sb")}
    for cid in ("c00", "c01", "c02"):
        win, lose = by_key[(cid, "terse@v1")], by_key[(cid, "long@v1")]
        sb = {r: next(a for a in x["assertions"] if a["type"] == "select-best")
              for r, x in (("win", win), ("lose", lose))}  # fmt: skip
        assert (sb["win"]["status"], sb["lose"]["status"]) == ("pass", "fail")
        assert (win["status"], lose["status"]) == ("pass", "fail")
        assert "output 2 was chosen" in sb["lose"]["reason"]
    # the journal keeps the placeholder; the verdict is beside it, and applied on read
    journal = project.journal("sb")
    assert {
        a["kind"] for ln in journal for a in ln["assertions"] if a["type"] == "select-best"
    } == {"deferred"}
    assert (project.run_dir("sb") / "comparisons.jsonl").is_file()
    summary = project.manifest("sb")["summary"]
    rates = {g["prompt"]: g["pass_rate"] for g in summary["groups"]}
    assert rates == {"terse@v1": 1.0, "long@v1": 0.0}
    # the gate sees the loser: every long@v1 result fails its select-best
    assert out.returncode == data["exit_code"] == 1, out.stderr
    assert data["verdict"]["reasons"] == [
        "e2e [oa, long@v1]: pass rate 0.0% (0/3) below min_pass_rate 100.0%"
    ]

    # llmeval report reads the same verdicts (its payload embeds the rows)
    rep = project.run("report", "sb", "-o", str(tmp_path / "r.html"))
    assert rep.returncode == 0, rep.stderr
    html = (tmp_path / "r.html").read_text().replace("<wbr>", "")  # ids wrap after - _ . @
    assert "output 2 was chosen" in html
    assert "long@v1]: pass rate 0.0% (0/3) below min_pass_rate" in html

    # a rerun (new run id) makes no judge request: generations and the pass are cached
    before = _judge_calls(fake_server)
    again = project.run("run", "--run-id", "sb2", "--json", "--no-report")
    assert again.returncode == 1, again.stdout + again.stderr
    assert _judge_calls(fake_server) == before
    assert _status(_results(project, "sb2")) == _status(_results(project, "sb"))

    # baseline and diff see the decided verdicts too: no change between the two runs
    saved = project.run("baseline", "save", "sb")
    assert saved.returncode == 0, saved.stderr
    base = json.loads((project.root / "suites" / "baselines" / "e2e.json").read_text())
    assert "fail" in json.dumps(base) and "deferred" not in json.dumps(base)
    diff = project.run("diff", "sb", "sb2", "--json")
    assert diff.returncode in (0, 1), diff.stdout + diff.stderr
    cases = json.loads(diff.stdout)["cases"]
    assert {c["change"] for c in cases} == {"unchanged"}
    assert {(c["prompt"], c["base_status"], c["cand_status"]) for c in cases} == {
        ("long@v1", "fail", "fail"),
        ("terse@v1", "pass", "pass"),
    }


def test_resume_decides_a_partial_group_without_repaying(fake_server, tmp_path):
    fake_server.responder = _responder
    project = _project(fake_server, tmp_path, [{"type": "select-best", "value": "Most concise."}])
    # the terse prompt of c01 keeps failing: that result is an error, its group partial
    fake_server.fail_when("bad_request", lambda body: "case c01 please" in json.dumps(body)
                          and "at length" not in json.dumps(body))  # fmt: skip
    project.run("run", "--run-id", "rs", "--json", "--no-report")
    kinds = {
        (r["case_id"], r["prompt"]): next(a for a in r["assertions"] if a["type"] == "select-best")
        for r in _results(project, "rs")
        if r["output"] is not None
    }
    assert kinds[("c01", "long@v1")]["kind"] == "partial_group"
    assert kinds[("c01", "long@v1")]["status"] == "skipped"
    assert kinds[("c00", "terse@v1")]["status"] == "pass"
    assert _judge_calls(fake_server) == 2
    fake_server.clear_faults()
    calls = _judge_calls(fake_server)
    again = project.run("run", "--resume", "rs", "--json", "--no-report")
    assert json.loads(again.stdout)["exit_code"] == 1, again.stdout + again.stderr
    results = _results(project, "rs")
    sb = {(r["case_id"], r["prompt"]): next(a for a in r["assertions"]
          if a["type"] == "select-best")["status"] for r in results}  # fmt: skip
    assert sb == {(c, p): "pass" if p == "terse@v1" else "fail"
                  for c in ("c00", "c01", "c02") for p in ("long@v1", "terse@v1")}  # fmt: skip
    assert _judge_calls(fake_server) - calls == 1  # only the completed group is judged
    project.run("run", "--resume", "rs", "--json", "--no-report")
    assert _judge_calls(fake_server) - calls == 1  # nothing changed: nothing recomputed


def test_max_score_picks_the_best_aggregate_without_a_judge(fake_server, tmp_path):
    fake_server.responder = _responder
    asserts = [{"type": "contains", "value": "length"}, {"type": "max-score"}]
    project = _project(fake_server, tmp_path, asserts)
    out = project.run("run", "--run-id", "ms", "--json", "--no-report")
    assert out.returncode in (0, 1), out.stderr
    ms = {(r["case_id"], r["prompt"]): next(a for a in r["assertions"] if a["type"] == "max-score")
          for r in _results(project, "ms")}  # fmt: skip
    assert {k[1]: a["status"] for k, a in ms.items()} == {"long@v1": "pass", "terse@v1": "fail"}
    assert _judge_calls(fake_server) == 0


def test_one_prompt_leaves_nothing_to_compare(fake_server, tmp_path):
    fake_server.responder = _responder
    asserts = [{"type": "select-best", "value": "Most concise."}]
    project = _project(fake_server, tmp_path, asserts, prompts=("terse",))
    project.run("run", "--run-id", "one", "--json", "--no-report")
    kinds = {next(a for a in r["assertions"] if a["type"] == "select-best")["kind"]
             for r in _results(project, "one")}  # fmt: skip
    assert kinds == {"nothing_to_compare"}
    assert _judge_calls(fake_server) == 0


def _priced(fake_server, tmp_path: Path):
    """Generations free; each select-best share estimated at exactly $1 (the judge's
    max_tokens 1000 at $1000 per Mtok out, input free): a case's pass is $2."""
    project = _project(fake_server, tmp_path, [{"type": "select-best", "value": "Most concise."}])
    config = yaml.safe_load((project.root / "llmeval.yaml").read_text())
    config["models"]["oa"]["price"] = {"input_per_mtok": 0, "output_per_mtok": 0}
    config["models"]["judge"].update(
        price={"input_per_mtok": 0, "output_per_mtok": 1000}, params={"max_tokens": 1000}
    )
    (project.root / "llmeval.yaml").write_text(yaml.safe_dump(config))
    suite = yaml.safe_load((project.root / "suites" / "e2e.yaml").read_text())
    suite["min_pass_rate"] = 0  # a select-best loser alone does not fail the gate
    (project.root / "suites" / "e2e.yaml").write_text(yaml.safe_dump(suite, sort_keys=False))
    return project


def test_dry_run_estimate_includes_the_comparison_pass(fake_server, tmp_path):
    project = _priced(fake_server, tmp_path)
    out = project.run("run", "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    # 3 cases x 2 prompts, one $1 share each: the pass's 3 judge calls are bounded by $6
    assert json.loads(out.stdout)["total"]["judge_cost_usd"] == 6.0


def test_max_cost_holds_back_the_comparison_pass_share(fake_server, tmp_path):
    fake_server.responder = _responder
    project = _priced(fake_server, tmp_path)
    # two items hold $2 for their comparison; a third would need $3 > $2.5: budget stop
    out = project.run("run", "--run-id", "b", "--max-cost", "2.5", "--no-report")
    assert out.returncode == 3, out.stdout + out.stderr
    assert "resume with: llmeval run --resume b" in out.stderr
    manifest = project.manifest("b")
    assert manifest["status"] == "budget" and manifest["spent_usd"] <= 2.5
    assert manifest["counts"]["finished"] == 2
    assert _judge_calls(fake_server) == 0  # a stopped run makes no comparison calls


def test_a_comparison_pass_over_budget_stops_before_its_call(fake_server, tmp_path):
    fake_server.responder = _responder
    project = _priced(fake_server, tmp_path)
    assert project.run("run", "--run-id", "p", "--max-cost", "2.5", "--no-report").returncode == 3
    # the resume runs the other 4 items (holding $4 <= $4.5), then the pass: the three
    # cases need $2 each, all six items now present: two fit in $4.5, the third does not
    out = project.run("run", "--resume", "p", "--max-cost", "4.5", "--no-report")
    assert out.returncode == 3, out.stdout + out.stderr
    assert "resume with: llmeval run --resume p" in out.stderr
    manifest = project.manifest("p")
    assert manifest["status"] == "budget"
    assert manifest["counts"]["finished"] == 6 and _judge_calls(fake_server) == 2
    undecided = [
        r for r in _results(project, "p")
        if next(a for a in r["assertions"] if a["type"] == "select-best").get("kind") == "deferred"
    ]  # fmt: skip
    assert len(undecided) == 2  # one case's two results, left for a resume
    # without a limit the resume decides the last case only
    done = project.run("run", "--resume", "p", "--no-report")
    assert done.returncode == 0, done.stdout + done.stderr
    assert _judge_calls(fake_server) == 3
