"""A Ctrl-C that lands before the run's own signal handlers are installed.

A ``--workers`` child can get the parent's forwarded SIGINT while it is still planning
(a slow start on a loaded machine). Then asyncio.run's own SIGINT handler cancels the
main task, and the cancel surfaces at the task's first yield. If that yield comes after
the runner has created its case tasks, each of them first starts one call, which is
then abandoned without a journal line and made again on resume: the "one repeated call
per worker" of the Ctrl-C test. The run must stop before any call starts.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from llmeval.config.project import load_project
from llmeval.engine.observer import NullObserver
from llmeval.engine.session import RunConfig, Selection, execute

APP = """
import os
def answer(vars):
    with open(os.path.join(os.path.dirname(__file__), "calls.txt"), "a") as fh:
        fh.write(f"{vars['n']}\\n")
    return f"answer {vars['n']}"
"""


class _SigintAtStart(NullObserver):
    """Sends SIGINT to this process while the engine plans (before its handlers)."""

    def on_start(self, total: int, already_done: int) -> None:
        os.kill(os.getpid(), signal.SIGINT)


def _project(root: Path, n: int) -> None:
    root.mkdir()
    (root / "llmeval.yaml").write_text(
        "models:\n  app:\n    provider: python\n    target: app.py:answer\n"
        "defaults:\n  models: [app]\nrun: {concurrency: 4}\n"
    )
    (root / "app.py").write_text(APP)
    (root / "suites").mkdir()
    cases = "".join(f"  - id: c{i}\n    vars: {{n: {i}}}\n" for i in range(n))
    (root / "suites" / "qa.yaml").write_text("name: qa\nprompt: p\ncases:\n" + cases)
    (root / "prompts" / "p").mkdir(parents=True)
    (root / "prompts" / "p" / "v1.yaml").write_text("user: '{{ n }}'\n")


def test_sigint_before_the_handlers_starts_no_call(tmp_path: Path):
    # Python's own handler, as a process started from a terminal has it (asyncio.run's
    # case); a job started in the background by a script inherits SIGINT ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    root = tmp_path / "p"
    _project(root, 20)
    project = load_project(root)
    cfg = RunConfig(selection=Selection([], [], [], None, 1, None), run_id="r")
    try:
        with pytest.raises(KeyboardInterrupt):
            execute(project, cfg, observer=_SigintAtStart(), handle_signals=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    calls = root / "calls.txt"
    assert not calls.exists() or calls.read_text() == "", calls.read_text()
