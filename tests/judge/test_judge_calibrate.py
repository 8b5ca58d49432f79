from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from judge_fakes import FakeServices, user_text, verdict
from sklearn.metrics import cohen_kappa_score, confusion_matrix

from llmeval.domain.prompt import Message
from llmeval.domain.record import Score
from llmeval.errors import ConfigError, ConfigErrors, UsageError
from llmeval.judge.calibrate import (
    LabelledExample,
    agreement_stats,
    calibrate,
    parse_labels,
    run_calibration,
)

FIXTURE = Path(__file__).parent / "fixtures" / "labels.jsonl"


def test_agreement_stats_hand_checked() -> None:
    s = agreement_stats([True, True, False, False], [True, False, False, False])
    assert s["agreement"] == 0.75
    assert s["kappa"] == pytest.approx(0.5)  # p_o = .75, p_e = .5
    assert s["confusion_matrix"] == [[1, 1], [0, 2]]  # rows human pass/fail, cols judge
    assert (s["n"], s["scored"], s["unscored"]) == (4, 4, 0)
    assert s["kappa_band"] == "moderate"  # Landis & Koch: 0.41-0.60


def test_unscored_are_counted_apart() -> None:
    s = agreement_stats([True, False, True], [None, False, None])
    assert (s["scored"], s["unscored"], s["agreement"]) == (1, 2, 1.0)
    assert s["kappa"] is None and s["kappa_band"] == "undefined"  # one class only: undefined
    assert s["confusion_matrix"] == [[0, 0], [0, 1]]
    empty = agreement_stats([True], [None])
    assert empty["agreement"] is None and empty["confusion_matrix"] == [[0, 0], [0, 0]]
    with pytest.raises(ValueError):
        agreement_stats([True], [])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.none() | st.booleans()), min_size=1, max_size=40))
def test_agreement_stats_equal_sklearn(pairs: list[tuple[bool, bool | None]]) -> None:
    human = [h for h, _ in pairs]
    judge = [j for _, j in pairs]
    s = agreement_stats(human, judge)
    kept = [(h, j) for h, j in pairs if j is not None]
    assert s["unscored"] == len(pairs) - len(kept)
    if not kept:
        return
    h, j = [a for a, _ in kept], [b for _, b in kept]
    assert s["confusion_matrix"] == confusion_matrix(h, j, labels=[True, False]).tolist()
    if len(set(h) | set(j)) > 1:
        assert s["kappa"] == pytest.approx(cohen_kappa_score(h, j), abs=1e-12)


def _judge(messages: tuple[Message, ...]) -> str:
    out = re.search(r"<<<OUTPUT id=\w+>>>\n(.*?)\n<<<END", user_text(messages), re.S)
    text = out.group(1) if out else ""
    if "BROKEN" in text:
        return "I'd rather not say."
    return verdict("GOOD" in text, 0.9 if "GOOD" in text else 0.1)


async def test_run_calibration_on_fixture_equals_sklearn() -> None:
    svc = FakeServices(_judge)
    report = await run_calibration(FIXTURE, svc, "gpt-mini")
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines() if line.strip()]
    human = [str(r["label"]).lower() in ("pass", "true") for r in rows]
    expect = [None if "BROKEN" in r["output"] else "GOOD" in r["output"] for r in rows]
    assert [i.score.passed for i in report.items] == expect
    kept = [(h, j) for h, j in zip(human, expect, strict=True) if j is not None]
    h, j = [a for a, _ in kept], [b for _, b in kept]
    s = report.stats
    assert s["kappa"] == pytest.approx(cohen_kappa_score(h, j), abs=1e-12)
    assert s["confusion_matrix"] == confusion_matrix(h, j, labels=[True, False]).tolist()
    assert s["agreement"] == pytest.approx(sum(a == b for a, b in kept) / len(kept))
    assert (s["n"], s["scored"], s["unscored"]) == (14, 12, 2)
    assert len(svc.calls) == 14 and {c[1] for c in svc.calls} == {"gpt-mini"}
    assert [i.example.output for i in report.disagreements] == [
        "answer 2: GOOD",
        "answer 5: BAD",
        "answer 11: GOOD",
    ]
    doc = report.to_json()
    json.dumps(doc)  # serialisable
    assert doc["judge"] == "gpt-mini" and doc["kappa"] == s["kappa"]
    assert doc["items"][8]["judge"] is None and "could not be parsed" in doc["items"][8]["reason"]
    assert doc["items"][7]["line"] == 9  # the blank line counts: lines are file lines


async def test_run_calibration_without_judge_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="needs OPENAI_API_KEY"):
        await run_calibration(
            FIXTURE, FakeServices(unavailable="judge 'x' needs OPENAI_API_KEY"), "x"
        )


async def test_run_calibration_rejects_bad_assertions_before_calling(tmp_path: Path) -> None:
    f = tmp_path / "labels.jsonl"
    f.write_text(
        '{"output": "o", "label": "pass", "assert": {"type": "llm-rubrik", "value": "x"}}\n'
        '{"output": "o", "label": "pass", "rubric": 5}\n'
    )
    svc = FakeServices()
    with pytest.raises(ConfigErrors) as ei:
        await run_calibration(f, svc, None)
    msgs = [str(e) for e in ei.value.errors]
    assert msgs[0].startswith(f"{f}:1:1: unknown assertion type") and "did you mean" in msgs[0]
    assert msgs[1].startswith(f"{f}:2:1:")
    assert svc.calls == []


def test_label_file_errors_carry_file_and_line() -> None:
    text = "\n".join(
        [
            '{"output": "o", "label": "pass", "rubric": "r"}',
            "{oops",
            '{"output": 3, "label": "pass", "rubric": "r"}',
            '{"output": "o", "label": "maybe", "rubric": "r"}',
            '{"output": "o", "label": "fail"}',
            '{"output": "o", "label": "fail", "rubric": "r", "assert": {"type": "contains"}}',
            '{"output": "o", "label": "fail", "assert": {"value": 1}}',
            '["not", "an", "object"]',
            '{"output": "o", "label": "fail", "rubric": "r", "vars": []}',
        ]
    )
    with pytest.raises(ConfigErrors) as ei:
        parse_labels(text, "L.jsonl")
    got = [(e.location.line, e.message) for e in ei.value.errors]  # type: ignore[union-attr]
    assert [line for line, _ in got] == [2, 3, 4, 5, 6, 7, 8, 9]
    assert "not valid JSON" in got[0][1] and "'label'" in got[2][1] and "exactly one" in got[3][1]
    assert str(ei.value).splitlines()[0].startswith("L.jsonl:2:1: not valid JSON")
    with pytest.raises(ConfigError, match="no labelled examples"):
        parse_labels("\n\n", "L.jsonl")


async def test_calibrate_with_any_grade_function_and_crash_isolation() -> None:
    examples = [LabelledExample(output=str(i), label=i % 2 == 0) for i in range(6)]

    async def grade(ex: LabelledExample) -> Score:
        if ex.output == "5":
            raise RuntimeError("scorer crashed")
        return Score(passed=int(ex.output) < 3)

    report = await calibrate(examples, grade)
    assert report.items[5].score.error == "RuntimeError: scorer crashed"
    assert report.stats["unscored"] == 1
    assert (
        report.stats["confusion_matrix"]
        == confusion_matrix(
            [True, False, True, False, True], [True, True, True, False, False], labels=[True, False]
        ).tolist()
    )


async def test_non_judge_assertions_need_no_judge(tmp_path: Path) -> None:
    f = tmp_path / "labels.jsonl"
    rows = [("30 days", "30 DAYS"), ("a month", "30 days")]
    f.write_text(
        "".join(
            json.dumps({"output": o, "label": "pass", "assert": {"type": "icontains", "value": v}})
            + "\n"
            for o, v in rows
        )
    )
    report = await run_calibration(f, FakeServices(unavailable="no judge"), None)
    assert [i.score.passed for i in report.items] == [True, False]
    assert report.stats["agreement"] == 0.5
