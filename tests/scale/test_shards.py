"""``llmeval run --shard K/N`` and ``llmeval merge``, end to end through the CLI.

The Done-when bullet: 3 shards + merge give the same journal content (ignoring timings and
run ids) and the same verdict (exit code and reasons) as the unsharded run, against a
baseline with a real regression; a missing shard makes the merge exit 3.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from scale_project import journal, llmeval, set_broken, write_project


@pytest.fixture(scope="module")
def proj(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A baseline, then 12 of 60 cases broken (a real regression); one unsharded run and
    three shards of the same plan."""
    root = tmp_path_factory.mktemp("shards") / "p"
    write_project(root, critical=59)
    assert llmeval("run", "--run-id", "base", cwd=root).returncode == 0
    assert llmeval("baseline", "save", "base", cwd=root).returncode == 0
    set_broken(root, list(range(12)))
    for k in (1, 2, 3):
        out = llmeval(
            "run", "--shard", f"{k}/3", "--run-id", f"s{k}", "--baseline", "auto", cwd=root
        )
        assert out.returncode == 0, out.stdout + out.stderr  # a shard does not gate
        assert "not gated" in out.stdout
    return root


def _untimed(x: object) -> object:
    """A summary without its latency percentiles (timings differ between any two runs)."""
    if isinstance(x, dict):
        return {k: _untimed(v) for k, v in x.items() if not k.startswith("latency_")}
    if isinstance(x, list):
        return [_untimed(v) for v in x]
    return x


def _runs(root: Path) -> Path:
    return root / ".llmeval" / "runs"


def _as_artifacts(root: Path, tmp: Path, ks: tuple[int, ...]) -> Path:
    """The shard folders as actions/download-artifact lays them out: one folder each."""
    dest = tmp / "artifacts"
    for k in ks:
        shutil.copytree(_runs(root) / f"s{k}", dest / f"llmeval-shard-{k}" / f"s{k}")
    return dest


def test_three_shards_merged_equal_the_unsharded_run(proj: Path, tmp_path: Path):
    full = llmeval("run", "--run-id", "full", "--baseline", "auto", "--json", cwd=proj)
    assert full.returncode == 1, full.stdout + full.stderr  # the regression fails the gate
    artifacts = _as_artifacts(proj, tmp_path, (1, 2, 3))
    md = tmp_path / "summary.md"
    merged = llmeval(
        "merge", str(artifacts), "--run-id", "merged", "--baseline", "auto", "--json",
        "--markdown", str(md), cwd=proj,
    )  # fmt: skip
    assert merged.returncode == 1, merged.stdout + merged.stderr
    a, b = json.loads(full.stdout), json.loads(merged.stdout)
    assert a["exit_code"] == b["exit_code"] == 1
    assert a["verdict"]["reasons"] == b["verdict"]["reasons"]
    assert a["verdict"] == b["verdict"]
    assert {"drop", "max_regressions"} & set(a["verdict"]["reason_kinds"])
    assert a["comparison"]["counts"] == b["comparison"]["counts"]
    assert _untimed(a["summary"]) == _untimed(b["summary"])
    assert b["missing_shards"] == []

    one, many = journal(_runs(proj) / "full"), journal(_runs(proj) / "merged")
    assert len(one) == 120 and one == many
    lines = (_runs(proj) / "merged" / "results.jsonl").read_text().splitlines()
    assert {json.loads(ln)["run_id"] for ln in lines} == {"merged"}
    manifest = json.loads((_runs(proj) / "merged" / "run.json").read_text())
    assert manifest["status"] == "complete" and "shard" not in manifest
    assert [s["shard"] for s in manifest["merged_from"]["shards"]] == ["1/3", "2/3", "3/3"]
    assert manifest["counts"]["planned"] == manifest["counts"]["finished"] == 120
    assert (proj / "reports" / "merged.html").is_file()
    assert "pass_rate dropped" in md.read_text() or "regress" in md.read_text()


def test_shards_split_by_case_and_hold_every_model_of_a_case(proj: Path):
    seen: dict[str, int] = {}
    for k in (1, 2, 3):
        keys = journal(_runs(proj) / f"s{k}")
        manifest = json.loads((_runs(proj) / f"s{k}" / "run.json").read_text())
        assert manifest["shard"]["k"] == k and manifest["shard"]["planned_total"] == 120
        assert manifest["selection"]["shard"] == f"{k}/3" and manifest["verdict"] is None
        cases = {key[1] for key in keys}
        assert len(keys) == 2 * len(cases)  # both models of each of its cases
        for c in cases:
            assert c not in seen, f"{c} in shards {seen[c]} and {k}"
            seen[c] = k
    assert len(seen) == 60 and set(seen.values()) == {1, 2, 3}


def test_missing_shard_makes_the_merge_incomplete_and_names_it(proj: Path, tmp_path: Path):
    # without a baseline: the results present pass (with it, the regression they show fails
    # the gate, exit 1, which outranks incomplete)
    out = llmeval("merge", "s1", "s3", "--run-id", "partial", "--json", cwd=proj)
    assert out.returncode == 3, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["missing_shards"] == ["2/3"]
    reasons = data["verdict"]["reasons"]
    assert any("missing shard 2/3" in m for m in reasons), reasons
    n2 = len(journal(_runs(proj) / "s2"))
    assert data["counts"]["not_run"] == n2 and data["counts"]["finished"] == 120 - n2
    # and for people, one line that says which
    human = llmeval("merge", "s1", "s3", "--run-id", "partial2", cwd=proj)
    assert human.returncode == 3 and "missing shard 2/3" in human.stderr


def test_a_damaged_shard_journal_is_named_and_its_lines_count_as_not_run(
    proj: Path, tmp_path: Path
):
    """An artifact cut short or edited: lines that are not results (bad JSON, a JSON
    array, a record without its fields, bytes that are not UTF-8) are skipped and
    named with their file and line numbers; those results are not run (exit 3)."""
    artifacts = _as_artifacts(proj, tmp_path, (1, 2, 3))
    damaged = artifacts / "llmeval-shard-2" / "s2" / "results.jsonl"
    lines = damaged.read_bytes().splitlines(keepends=True)
    lines[0:4] = [b'{"run_id": "s2", "suite"\n', b"[1, 2]\n", b'{"nope": 1}\n', b"\xff\xfe\n"]
    damaged.write_bytes(b"".join(lines))
    out = llmeval("merge", str(artifacts), "--run-id", "damaged", cwd=proj)
    assert out.returncode == 3, out.stdout + out.stderr
    assert f"{damaged}: 4 unreadable lines (1, 2, 3, 4) skipped" in " ".join(out.stderr.split())
    data = json.loads(llmeval("merge", str(artifacts), "--run-id", "d2", "--json", cwd=proj).stdout)
    assert data["counts"]["not_run"] == 4 and data["counts"]["finished"] == 116


def test_merge_refuses_shards_of_another_plan_duplicates_and_plain_runs(proj: Path, tmp_path: Path):
    other = tmp_path / "other"
    shutil.copytree(proj, other, ignore=shutil.ignore_patterns(".llmeval", "reports"))
    suite = other / "suites" / "qa.yaml"
    suite.write_text(
        suite.read_text()
        + "  - id: extra\n    vars: {input: q, n: 99}\n    assert:\n      - type: contains\n"
        "        value: answer 99\n"
    )
    assert llmeval("run", "--shard", "2/3", "--run-id", "x2", cwd=other).returncode == 0
    foreign = str(other / ".llmeval" / "runs" / "x2")

    out = llmeval("merge", "s1", foreign, "s3", "--run-id", "bad", cwd=proj)
    assert out.returncode == 4
    assert "different plans" in out.stderr and len(out.stderr.strip().splitlines()) == 1
    out = llmeval("merge", "s1", "s1", "s2", "--run-id", "dup", cwd=proj)
    assert out.returncode == 4 and "given twice" in out.stderr
    out = llmeval("merge", "s1", "base", "--run-id", "plain", cwd=proj)
    assert out.returncode == 4 and "not a shard run" in out.stderr
    for name in ("bad", "dup", "plain"):  # refused before anything is written
        assert not (_runs(proj) / name).exists()


def test_a_case_keeps_its_shard_when_cases_are_added(proj: Path, tmp_path: Path):
    other = tmp_path / "grown"
    shutil.copytree(proj, other, ignore=shutil.ignore_patterns(".llmeval", "reports"))
    suite = other / "suites" / "qa.yaml"
    suite.write_text(
        suite.read_text()
        + "".join(
            f"  - id: new{i}\n    vars: {{input: q, n: {i}}}\n    assert:\n"
            f"      - type: contains\n        value: answer {i}\n"
            for i in range(20)
        )
    )
    assert llmeval("run", "--shard", "1/3", "--run-id", "g1", cwd=other).returncode == 0
    before = {k[1] for k in journal(_runs(proj) / "s1")}
    after = {k[1] for k in journal(other / ".llmeval" / "runs" / "g1")}
    assert before == {c for c in after if not c.startswith("new")}
    assert after - before  # and some new cases joined it


def test_resume_of_a_shard_keeps_its_shard(proj: Path, tmp_path: Path):
    root = tmp_path / "r"
    shutil.copytree(proj, root, ignore=shutil.ignore_patterns(".llmeval", "reports"))
    assert llmeval("run", "--shard", "2/3", "--run-id", "r2", cwd=root).returncode == 0
    path = _runs(root) / "r2" / "results.jsonl"
    whole = journal(_runs(root) / "r2")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:3]))  # as if killed after three results
    out = llmeval("run", "--resume", "r2", "--shard", "1/3", cwd=root)
    assert out.returncode == 4 and "--shard 2/3" in out.stderr  # not another shard
    out = llmeval("run", "--resume", "r2", "--json", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["shard"]["k"] == 2 and data["counts"]["resumed_done"] == 3
    assert journal(_runs(root) / "r2") == whole


def test_shard_flag_errors_are_usage_errors(proj: Path):
    for bad in ("0/3", "4/3", "2", "a/b"):
        out = llmeval("run", "--shard", bad, cwd=proj)
        assert out.returncode == 4 and "--shard must be K/N" in out.stderr, out.stderr
    out = llmeval("run", "--shard", "1/2", "--junit", "j.xml", cwd=proj)
    assert out.returncode == 4 and "llmeval merge" in out.stderr


def test_empty_shards_are_complete_and_merge(tmp_path: Path):
    root = tmp_path / "tiny"
    write_project(root, n=2)
    for k in range(1, 9):  # 2 cases over 8 shards: most slices are empty
        out = llmeval("run", "--shard", f"{k}/8", "--run-id", f"t{k}", "--json", cwd=root)
        assert out.returncode == 0, out.stdout + out.stderr
    out = llmeval("merge", str(_runs(root)), "--run-id", "all", "--json", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr
    data = json.loads(out.stdout)
    assert data["counts"]["finished"] == 4 and data["verdict"]["passed"]
