"""``python`` assertions: return types, crashes, timeouts, worker recovery, scrubbed env."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from metric_harness import spec

from llmeval.domain.record import AssertionResult
from llmeval.domain.suite import Case
from llmeval.metrics import registry
from llmeval.metrics.apply import finalize
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.custom import interpret
from llmeval.metrics.pool import pool_for, scrubbed_env, set_pool_size

SCORERS = textwrap.dedent(
    """
    import asyncio, json, os, sys, time

    def yes(output, context):
        return "Paris" in output

    def number(output, context):
        return len(output) / 10

    def graded(output, context):
        return {"pass": output == context["expected"], "score": 0.25, "reason": "graded", "n": 3}

    def only_score(output, context):
        return {"score": 0.8}

    def one_arg(output):
        return output.startswith("A")

    async def coro(output, context):
        await asyncio.sleep(0)
        return True

    def echo_context(output, context):
        return {"pass": True, "reason": json.dumps(context, sort_keys=True)}

    def crash(output, context):
        raise ValueError("bad scorer")

    def exits(output, context):
        sys.exit(3)

    def dies(output, context):
        os._exit(9)

    def chatty(output, context):
        print("debug noise that must not break the protocol")
        return True

    def slow(output, context):
        time.sleep(30)
        return True

    def env(output, context):
        return {"pass": True, "reason": json.dumps(sorted(os.environ))}

    def pid(output, context):
        return {"pass": True, "reason": str(os.getpid())}

    def nap(output, context):
        time.sleep(0.2)
        return {"pass": True, "reason": str(os.getpid())}

    def weird(output, context):
        return [1, 2]

    def get_assert(output, context):
        return True
    """
)


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "scorers.py").write_text(SCORERS)
    yield tmp_path
    pool_for(tmp_path.resolve()).close()  # one pool per project root; do not pile them up


async def run(
    project: Path,
    target: str,
    output: str = "Paris",
    *,
    threshold: float | None = None,
    options: dict[str, Any] | None = None,
    expected: Any = "Paris",
    negate: bool = False,
) -> AssertionResult:
    s = spec(
        ("not-" if negate else "") + "python", target, threshold=threshold, options=options or {}
    )
    defn, fn = registry.build(s, BuildContext(root=project))
    assert defn.kind == "async"
    case = Case(id="c1", vars={"city": "Paris"}, expected=expected, tags=("geo",))
    ctx = ScoreContext(output=output, case=case, latency_ms=12.0, model="echo")
    return finalize(defn, s, await fn(ctx, None))


async def test_bool_number_and_dict_returns(project: Path) -> None:
    assert (await run(project, "scorers.py:yes")).passed is True
    assert (await run(project, "scorers.py:yes", "London")).passed is False
    assert (await run(project, "scorers.py:yes", "London", negate=True)).passed is True
    num = await run(project, "scorers.py:number", "Paris")  # 0.5
    assert num.passed is True and num.score == 0.5
    assert (await run(project, "scorers.py:number", "Paris", threshold=0.6)).passed is False
    assert (await run(project, "scorers.py:number", "")).passed is False  # 0 is not > 0
    big = await run(project, "scorers.py:number", "x" * 30)  # 3.0: clamped, raw kept
    assert big.score == 1.0 and big.details == {"raw_score": 3.0}
    graded = await run(project, "scorers.py:graded")
    assert (graded.passed, graded.score, graded.reason) == (True, 0.25, "graded")
    assert graded.details == {"n": 3}
    below = await run(project, "scorers.py:graded", threshold=0.5)
    assert below.passed is False and "less than threshold" in below.reason
    assert (await run(project, "scorers.py:only_score")).passed is True
    assert (await run(project, "scorers.py:one_arg", "Apple")).passed is True
    assert (await run(project, "scorers.py:coro")).passed is True
    assert (await run(project, "file://scorers.py")).passed is True  # promptfoo's get_assert


async def test_scorer_sees_output_and_case_context(project: Path) -> None:
    import json

    r = await run(project, "scorers.py:echo_context", options={"config": {"k": 1}})
    ctx = json.loads(r.reason)
    assert ctx["vars"] == {"city": "Paris"} and ctx["expected"] == "Paris"
    assert ctx["case_id"] == "c1" and ctx["tags"] == ["geo"] and ctx["config"] == {"k": 1}
    assert ctx["latency_ms"] == 12.0 and ctx["model"] == "echo"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("scorers.py:crash", "ValueError: bad scorer"),
        ("scorers.py:exits", "SystemExit"),
        ("scorers.py:dies", "exited"),
        ("scorers.py:weird", "must return"),
    ],
)
async def test_crashes_are_the_case_error_and_the_worker_carries_on(
    project: Path, target: str, message: str
) -> None:
    r = await run(project, target)
    assert r.passed is None and r.status == "error"
    assert message in r.reason
    assert (await run(project, "scorers.py:yes")).passed is True


async def test_print_does_not_corrupt_the_protocol(project: Path) -> None:
    assert (await run(project, "scorers.py:chatty")).passed is True


async def test_timeout_kills_and_restarts_the_worker(project: Path) -> None:
    before = int((await run(project, "scorers.py:pid")).reason)
    r = await run(project, "scorers.py:slow", options={"timeout_s": 0.5})
    assert r.passed is None and "timed out after 0.5s" in r.reason
    after = int((await run(project, "scorers.py:pid")).reason)
    assert after != before
    again = int((await run(project, "scorers.py:pid")).reason)
    assert again == after  # persistent: one worker, reused


async def test_concurrent_calls_spread_over_a_bounded_pool(project: Path) -> None:
    set_pool_size(2)
    try:
        results = await asyncio.gather(*(run(project, "scorers.py:nap") for _ in range(8)))
        assert len({r.reason for r in results}) == 2  # two workers, each reused
        serial = {(await run(project, "scorers.py:pid")).reason for _ in range(3)}
        assert len(serial) == 1  # one at a time: the warm worker again
    finally:
        set_pool_size(None)


async def test_provider_keys_are_not_in_the_scorer_environment(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MY_API_KEY", "GH_TOKEN", "APP_SECRET"):
        monkeypatch.setenv(name, "sk-live-123")
    monkeypatch.setenv("HARMLESS_SETTING", "1")
    pool_for(project.resolve()).close()  # the env is fixed when a worker starts
    names = json.loads((await run(project, "scorers.py:env")).reason)
    assert "HARMLESS_SETTING" in names
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MY_API_KEY", "GH_TOKEN", "APP_SECRET"):
        assert name not in names


def test_scrubbed_env_is_pure() -> None:
    env = scrubbed_env({"OPENAI_API_KEY": "x", "aws_session_token": "y", "PATH": "/bin"})
    assert "OPENAI_API_KEY" not in env and "aws_session_token" not in env
    assert env["PATH"] == "/bin" and "PYTHONPATH" in env


@pytest.mark.parametrize(
    ("result", "threshold", "passed", "score"),
    [
        (True, None, True, 1.0),
        ("false", None, False, 0.0),
        ("0.7", None, True, 0.7),
        (0, None, False, 0.0),
        (0.7, 0.8, False, 0.7),
        ('{"pass": true, "score": 0.9}', None, True, 0.9),
        ({"pass": False, "score": 1.0}, None, False, 1.0),
        ({"pass": True, "score": 0.1}, 0.5, False, 0.1),
        (None, None, None, None),
        ({"pass": "yes"}, None, None, None),
        (float("nan"), None, None, None),
    ],
)
def test_interpret_reads_returns_as_promptfoo_does(
    result: Any, threshold: float | None, passed: bool | None, score: float | None
) -> None:
    s = interpret(result, threshold)
    assert s.passed is passed
    assert s.score == score
    assert (s.error is not None) == (passed is None)
