"""comparisons.jsonl: verdicts beside the journal, applied only to the line they judged."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from llmeval.domain.record import AssertionResult, CaseResult
from llmeval.engine.journal import Journal, read_journal
from llmeval.store import comparisons as store


def _result(output: str = "a", finished_at: float = 1.0) -> CaseResult:
    return CaseResult(
        run_id="r", suite="s", case_id="c", model="m", prompt="p@v1", prompt_sha="x",
        repeat=0, status="pass", score=1.0, output=output, finished_at=finished_at,
        assertions=(
            AssertionResult(type="contains", status="pass", score=1.0),
            AssertionResult(type="select-best", status="skipped", score=None, kind="deferred"),
        ),
    )  # fmt: skip


def _verdict(r: CaseResult) -> store.Verdict:
    lost = AssertionResult(type="select-best", status="fail", score=0.0, reason="output 2")
    return store.Verdict(
        key=r.key, basis=store.basis(r), group="g", positions=(1,), assertions=(lost,),
        status="fail", score=0.5, judge_cost_usd=0.01, judge_tokens={"input": 5, "output": 1},
    )  # fmt: skip


def test_the_journal_reader_applies_verdicts(tmp_path: Path) -> None:
    r = _result()
    with Journal(tmp_path / "results.jsonl") as j:
        j.append(r)
    assert read_journal(tmp_path / "results.jsonl")[0].status == "pass"  # no file yet
    assert store.append(tmp_path, [_verdict(r)]) == 1
    got = read_journal(tmp_path / "results.jsonl")[0]
    assert got.status == "fail" and got.score == 0.5
    assert [a.status for a in got.assertions] == ["pass", "fail"]
    assert got.judge_cost_usd == 0.01 and got.judge_tokens == {"input": 5, "output": 1}


def test_a_verdict_on_another_line_of_the_same_key_is_not_applied(tmp_path: Path) -> None:
    old, new = _result(finished_at=1.0), _result(finished_at=2.0)  # re-run by --resume
    store.append(tmp_path, [_verdict(old)])
    assert store.overlay([new], tmp_path) == [new]
    assert store.overlay([old], tmp_path)[0].status == "fail"


def test_last_line_wins_and_a_partial_line_is_cut(tmp_path: Path) -> None:
    r = _result()
    v = _verdict(r)
    store.append(tmp_path, [v])
    with open(tmp_path / store.COMPARISONS, "a", encoding="utf-8") as fh:
        fh.write('{"key": ["s", "c"')  # a killed writer
    assert store.read(tmp_path)[r.key] == v
    won = replace(v, status="pass", score=1.0)
    store.append(tmp_path, [won])
    lines = (tmp_path / store.COMPARISONS).read_text().splitlines()
    assert len(lines) == 2 and all(json.loads(ln) for ln in lines)
    assert store.read(tmp_path)[r.key].status == "pass"
