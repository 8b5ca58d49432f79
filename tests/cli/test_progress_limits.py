"""The progress display's line about rate limits (adaptive concurrency, time waited)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from llmeval.cli.progress import ProgressObserver, limits_text

CALM = {"concurrency_limit": 64, "effective_concurrency": 64, "rate_limited": 0,
        "concurrency_decreases": 0, "limit_wait_s": 0.0}  # fmt: skip
THROTTLED = {**CALM, "effective_concurrency": 32, "rate_limited": 9,
             "concurrency_decreases": 2, "limit_wait_s": 12.4}  # fmt: skip


@pytest.mark.parametrize(
    ("stats", "text"),
    [
        ({"mode": "use", "gpt": CALM}, ""),
        ({"mode": "use", "gpt": THROTTLED}, "gpt: 32/64 slots, 12 s waited on limits"),
        ({"gpt": {**THROTTLED, "limit_wait_s": 0.0}}, "gpt: 32/64 slots"),
        (
            {"a": THROTTLED, "b": CALM, "c": THROTTLED},
            "a: 32/64 slots, 12 s waited on limits; c: 32/64 slots, 12 s waited on limits",
        ),
        ({"local": {"requests_sent": 3}}, ""),  # a model without a concurrency bound
    ],
)
def test_limits_text(stats: dict, text: str) -> None:
    assert limits_text(stats) == text


def test_ci_lines_carry_the_limits(capsys: pytest.CaptureFixture[str]) -> None:
    obs = ProgressObserver(interactive=False)
    obs.watch_limits(lambda: {"gpt": THROTTLED})
    obs.on_start(1, 0)
    obs.on_result(SimpleNamespace(status="pass"))  # type: ignore[arg-type]  # reads .status only
    err = capsys.readouterr().err
    assert "1/1 done" in err and "gpt: 32/64 slots, 12 s waited on limits" in err
