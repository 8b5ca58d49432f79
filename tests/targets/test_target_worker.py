"""The target worker: never in llmeval's process, module state kept, many calls in
flight, crashes and hangs become that case's error, no worker left behind."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from targets_project import cli_env, journal, llmeval, write_project

from llmeval import api
from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import CompletionRequest
from llmeval.errors import ConfigError
from llmeval.providers.python import PythonProvider

COUNTER = """
import os
CALLS = []


def answer(vars):
    CALLS.append(vars["n"])
    return f"{len(CALLS)} {os.getpid()}"
"""


def _request(spec: ModelSpec, text: str = "hi", **vars: object) -> CompletionRequest:
    return CompletionRequest(model=spec, messages=(Message("user", text),), vars=dict(vars))


def test_module_state_persists_and_the_module_never_enters_llmevals_process(
    tmp_path: Path,
) -> None:
    root = write_project(tmp_path, COUNTER, cases=["a", "b", "c", "d", "e"])
    result = api.run(root, concurrency=1, write=False)
    outs = sorted(r.output for r in result.results)
    counts = sorted(int(o.split()[0]) for o in outs)
    pids = {o.split()[1] for o in outs}
    assert counts == [1, 2, 3, 4, 5]  # one module, its state seen by every call
    assert len(pids) == 1 and pids != {str(os.getpid())}
    assert not [m for m in sys.modules if m.startswith("llmeval_target_")]


SLEEPERS = """
import asyncio, time


def sync_sleep(vars):
    time.sleep(0.2)
    return "slept"


async def async_sleep(vars):
    await asyncio.sleep(0.2)
    return "slept"
"""


@pytest.mark.parametrize("target", ["sync_sleep", "async_sleep"])
def test_twenty_calls_in_flight_take_one_sleep_not_twenty(tmp_path: Path, target: str) -> None:
    (tmp_path / "app.py").write_text(SLEEPERS)
    provider = PythonProvider(ModelSpec("t", "python", f"app.py:{target}"), tmp_path)

    async def batch() -> tuple[float, list[float]]:
        await provider.complete(_request(provider.spec))  # warm: the worker is up
        start = time.perf_counter()
        done = await asyncio.gather(
            *(provider.complete(_request(provider.spec)) for _ in range(20))
        )
        return time.perf_counter() - start, [c.latency_ms for c in done]

    elapsed, latencies = asyncio.run(batch())
    # serialised, 20 x 0.2 s = 4 s; multiplexed, about one sleep (generous on a busy box)
    assert elapsed < 1.5, elapsed
    assert all(190 <= ms < 1500 for ms in latencies), latencies  # the call's own time


CRASHY = """
import os, sys, time


def answer(vars):
    if vars["n"] == "die":
        os._exit(7)  # no exception, no cleanup: the process is gone
    if vars["n"] == "hang":
        time.sleep(3600)
    print("a target print", vars["n"])  # must not corrupt the protocol
    sys.stdout.write("raw stdout write\\n")
    return "ok " + vars["n"] + " \\ud800"
"""


def test_a_dying_target_fails_its_case_and_the_next_one_runs(tmp_path: Path) -> None:
    cases = ["a", "die", "b", "c"]
    root = write_project(tmp_path, CRASHY, cases=cases, run={"concurrency": 1})
    proc = llmeval(root, "run", "--run-id", "crash")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the verdict: a failed case
    assert "Traceback" not in proc.stderr
    lines = {line["case_id"]: line for line in journal(root, "crash")}
    assert set(lines) == set(cases)
    died = lines["die"]
    assert died["status"] == "error" and died["error"]["kind"] == "target"
    assert "exit code 7" in died["error"]["message"]
    for c in ("a", "b", "c"):  # the one before and the ones after
        assert lines[c]["status"] == "pass" and lines[c]["output"] == f"ok {c} \ufffd"
    assert "a target print b" in proc.stderr


def test_a_hanging_target_is_abandoned_at_the_case_timeout(tmp_path: Path) -> None:
    cases = ["hang", "a", "b"]
    root = write_project(tmp_path, CRASHY, cases=cases, run={"concurrency": 2, "timeout_s": 1})
    start = time.monotonic()
    proc = llmeval(root, "run", "--run-id", "hang")
    assert time.monotonic() - start < 30
    assert proc.returncode in (1, 3), proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = {line["case_id"]: line for line in journal(root, "hang")}
    assert lines["hang"]["status"] == "error" and lines["hang"]["error"]["kind"] == "timeout"
    assert lines["a"]["status"] == lines["b"]["status"] == "pass"


def test_an_exception_keeps_its_name_message_and_user_traceback(tmp_path: Path) -> None:
    app = "def answer(vars):\n    raise KeyError('no such order')\n"
    root = write_project(tmp_path, app, cases=["a"])
    (r,) = api.run(root, write=False).results
    assert r.status == "error" and r.error is not None and r.error.kind == "target"
    assert r.error.message == "KeyError: 'no such order'"
    assert r.error.traceback is not None and "apps/app.py" in r.error.traceback
    assert "raise KeyError" in r.error.traceback and "target_worker" not in r.error.traceback


def test_load_errors_keep_their_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("def answer(vars):\n    return (\n")
    with pytest.raises(ConfigError) as e:
        PythonProvider(ModelSpec("t", "python", "bad.py:answer"), tmp_path)
    assert e.value.location is not None and e.value.location.file == "bad.py"
    (tmp_path / "sig.py").write_text("\n\ndef answer(question, history):\n    return ''\n")
    with pytest.raises(ConfigError, match="missing a required argument: 'history'") as e:
        PythonProvider(ModelSpec("t", "python", "sig.py:answer"), tmp_path)
    assert e.value.location is not None and (e.value.location.file, e.value.location.line) == (
        "sig.py",
        3,
    )


SLOW = """
import os, time


def answer(vars):
    with open("worker.pid", "w") as fh:
        fh.write(str(os.getpid()))
    time.sleep(600)
    return "never"
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_killing_llmeval_leaves_no_worker_behind(tmp_path: Path, how: signal.Signals) -> None:
    root = write_project(tmp_path, SLOW, cases=["a"])
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmeval", "run", "--run-id", "k"],
        cwd=root,
        env=cli_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pidfile = root / "worker.pid"
    deadline = time.monotonic() + 60
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    worker = int(pidfile.read_text())
    assert _alive(worker)
    proc.send_signal(how)
    if how == signal.SIGINT:
        time.sleep(0.5)
        proc.send_signal(how)  # the second Ctrl-C abandons calls in flight
    proc.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)


def test_a_target_returning_a_surrogate_and_odd_types(tmp_path: Path) -> None:
    app = (
        "def text(vars):\n    return {'output': 'a\\ud800b', 'model': 'm\\udfff'}\n"
        "def number(vars):\n    return 42\n"
    )
    (tmp_path / "app.py").write_text(app)
    text = PythonProvider(ModelSpec("t", "python", "app.py:text"), tmp_path)
    number = PythonProvider(ModelSpec("n", "python", "app.py:number"), tmp_path)
    done = asyncio.run(text.complete(_request(text.spec)))
    assert (done.text, done.model_id) == ("a\ufffdb", "m\ufffd")
    with pytest.raises(Exception, match="python target returned int"):
        asyncio.run(number.complete(_request(number.spec)))
    json.dumps(done.text)  # repaired: encodable


PIDS = """
import os, time


def answer(vars):
    time.sleep(0.3)
    return str(os.getpid())
"""


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core: one worker")
def test_calls_spread_over_one_worker_per_core_when_all_are_busy(tmp_path: Path) -> None:
    from llmeval.metrics.pool import pool_size

    (tmp_path / "app.py").write_text(PIDS)
    provider = PythonProvider(ModelSpec("t", "python", "app.py:answer"), tmp_path)

    async def batch() -> set[str]:
        done = await asyncio.gather(*(provider.complete(_request(provider.spec)) for _ in range(8)))
        return {c.text for c in done}

    pids = asyncio.run(batch())
    assert len(pids) == min(pool_size(), 8) and str(os.getpid()) not in pids
    assert len(provider.pool.pids()) == len(pids)


ODD_RAISES = """
import asyncio, sys


def exits(vars):
    sys.exit(3)


def cancels(vars):
    raise asyncio.CancelledError("not the parent's cancellation")


async def async_cancels(vars):
    raise asyncio.CancelledError()
"""


@pytest.mark.parametrize(
    ("target", "name"),
    [("exits", "SystemExit"), ("cancels", "CancelledError"), ("async_cancels", "CancelledError")],
)
def test_base_exceptions_of_a_target_are_its_errors_not_a_hang(
    tmp_path: Path, target: str, name: str
) -> None:
    (tmp_path / "app.py").write_text(ODD_RAISES)
    provider = PythonProvider(ModelSpec("t", "python", f"app.py:{target}"), tmp_path)

    async def call() -> None:
        await asyncio.wait_for(provider.complete(_request(provider.spec)), timeout=20)

    with pytest.raises(Exception) as e:
        asyncio.run(call())
    assert type(e.value).__name__ == name and not isinstance(e.value, TimeoutError)
    # and the worker is still there for the next call
    assert provider.pool.pids()
