"""pytest helpers: an llmeval suite as one assertion in your own test suite.

    from llmeval.testing import assert_suite_passes

    def test_support_faq():
        assert_suite_passes("support-faq")

The failure message is the verdict as ``llmeval run`` prints it: the headline, every
reason the gate failed, and the notes (what was compared, what was skipped).
"""

from __future__ import annotations

from typing import Any

from llmeval.api import PathLike, RunResult, run
from llmeval.domain.project import Project

__all__ = ["assert_suite_passes"]


def assert_suite_passes(
    suite: str | list[str],
    project: Project | PathLike = ".",
    *,
    write: bool = False,
    **run_kwargs: Any,
) -> RunResult:
    """Run ``suite`` (by default without writing a run folder) and raise
    ``AssertionError`` with the verdict's headline, reasons and notes unless it passed.

    ``run_kwargs`` are those of ``llmeval.run`` (``models``, ``baseline``, ``repeat``...).
    Returns the ``RunResult`` for further checks.
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not this helper's
    result = run(project, suites=suite, write=write, **run_kwargs)
    if not result.verdict.passed:
        raise AssertionError(result.explain())
    return result
