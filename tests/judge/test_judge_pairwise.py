from __future__ import annotations

import asyncio
import json
import re

import pytest
from judge_fakes import FakeServices, grade, user_text

from llmeval.domain.prompt import Message
from llmeval.errors import ConfigError, TransientError

NEW, OLD = "New answer: 30 days, with a receipt.", "Old answer: a month."


def _winner(w: str) -> str:
    return json.dumps({"reason": f"{w} reads better", "winner": w})


def _block(text: str, label: str) -> str:
    m = re.search(rf"<<<{label} id=(\w+)>>>\n(.*?)\n<<<END {label} id=\1>>>", text, re.S)
    assert m is not None
    return m.group(2)


def prefers(answer: str):
    """An unbiased judge that picks whichever position holds ``answer``."""

    def judge(messages: tuple[Message, ...]) -> str:
        text = user_text(messages)
        return _winner("A" if _block(text, "RESPONSE A") == answer else "B")

    return judge


async def test_always_a_judge_yields_a_tie() -> None:
    svc = FakeServices(_winner("A"))
    raw, res = await grade(svc, "pairwise", output=NEW, baseline=OLD)
    assert len(svc.calls) == 2
    a_then_b = [
        (_block(user_text(m), "RESPONSE A"), _block(user_text(m), "RESPONSE B"))
        for m, *_ in svc.calls
    ]
    assert sorted(a_then_b) == sorted([(NEW, OLD), (OLD, NEW)])  # both orders asked
    assert raw.passed is True and raw.score == 0.5
    d = raw.details or {}
    assert d["winner"] == "tie" and d["consistent"] is False
    assert [r["winner"] for r in d["rounds"]] == ["A", "A"]  # both raw verdicts kept
    assert {r["means"] for r in d["rounds"]} == {"candidate", "baseline"}
    assert "disagreed" in raw.reason
    assert (res.passed, res.score) == (True, 0.5)


async def test_always_a_judge_with_require_win_fails() -> None:
    raw, res = await grade(
        FakeServices(_winner("A")), "pairwise", output=NEW, baseline=OLD, require_win=True
    )
    assert raw.passed is False and raw.score == 0.5 and res.passed is False


@pytest.mark.parametrize(
    ("prefer", "winner", "passed", "score"),
    [(NEW, "candidate", True, 1.0), (OLD, "baseline", False, 0.0)],
)
async def test_consistent_preference_wins(
    prefer: str, winner: str, passed: bool, score: float
) -> None:
    raw, _ = await grade(FakeServices(prefers(prefer)), "pairwise", output=NEW, baseline=OLD)
    assert (raw.passed, raw.score) == (passed, score)
    assert raw.details and raw.details["winner"] == winner and raw.details["consistent"] is True


async def test_consistent_tie() -> None:
    raw, _ = await grade(FakeServices(_winner("tie")), "pairwise", output=NEW, baseline=OLD)
    assert raw.passed is True and raw.score == 0.5 and raw.details["consistent"] is True  # type: ignore[index]


async def test_identical_output_is_a_tie_without_a_call() -> None:
    svc = FakeServices(_winner("A"))
    raw, _ = await grade(svc, "pairwise", output=OLD, baseline=OLD)
    assert svc.calls == [] and raw.score == 0.5 and raw.passed is True


async def test_no_baseline_is_skipped() -> None:
    svc = FakeServices()
    raw, res = await grade(svc, "pairwise", output=NEW)
    assert raw.skipped and "baseline" in raw.reason and res.passed is None and svc.calls == []


async def test_one_unparseable_order_is_an_error() -> None:
    replies = iter([_winner("A"), "B, clearly"])
    raw, res = await grade(
        FakeServices(lambda m: next(replies)), "pairwise", output=NEW, baseline=OLD
    )
    assert raw.passed is None and raw.error and "could not be parsed: B, clearly" in raw.error
    assert res.passed is None


async def test_provider_error_is_an_error() -> None:
    raw, _ = await grade(
        FakeServices(error=TransientError("boom")), "pairwise", output=NEW, baseline=OLD
    )
    assert raw.passed is None and raw.error and "boom" in raw.error


@pytest.mark.parametrize(
    ("value", "options", "message"),
    [
        (None, {"against": "gpt-mini"}, "not supported"),
        (None, {"require_win": "yes"}, "true or false"),
        ({"a": 1}, {}, "criteria as text"),
    ],
)
def test_pairwise_config_errors(value: object, options: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        asyncio.run(grade(FakeServices(), "pairwise", value, baseline=OLD, **options))
