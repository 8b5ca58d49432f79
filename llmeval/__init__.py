"""llmeval: an evaluation and regression harness for LLM applications.

The Python API (implementation in ``llmeval.api``)::

    import llmeval

    result = llmeval.run(".", suites=["support-faq"], write=False)
    assert result.verdict.passed, result.explain()
    frame = result.to_pandas()

Kept import-light on purpose: ``import llmeval`` and ``llmeval --help`` must not pull
in SDKs, pandas or scikit-learn, so the names below are imported on first use
(module ``__getattr__``, PEP 562).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from llmeval.analysis.comparison import Comparison
    from llmeval.analysis.gate import Verdict
    from llmeval.analysis.summarize import GroupSummary, RunSummary
    from llmeval.api import CompareResult, RunResult, compare, load_project, run, run_async
    from llmeval.domain.project import Project
    from llmeval.domain.record import AssertionResult, CaseResult, ErrorInfo
    from llmeval.errors import ConfigError, ConfigErrors, LLMEvalError, UsageError

# public name -> the module that holds it
_LAZY = {
    "load_project": "llmeval.api",
    "run": "llmeval.api",
    "run_async": "llmeval.api",
    "compare": "llmeval.api",
    "RunResult": "llmeval.api",
    "CompareResult": "llmeval.api",
    "Project": "llmeval.domain.project",
    "CaseResult": "llmeval.domain.record",
    "AssertionResult": "llmeval.domain.record",
    "ErrorInfo": "llmeval.domain.record",
    "RunSummary": "llmeval.analysis.summarize",
    "GroupSummary": "llmeval.analysis.summarize",
    "Verdict": "llmeval.analysis.gate",
    "Comparison": "llmeval.analysis.comparison",
    "LLMEvalError": "llmeval.errors",
    "UsageError": "llmeval.errors",
    "ConfigError": "llmeval.errors",
    "ConfigErrors": "llmeval.errors",
}

__all__ = [
    "AssertionResult",
    "CaseResult",
    "CompareResult",
    "Comparison",
    "ConfigError",
    "ConfigErrors",
    "ErrorInfo",
    "GroupSummary",
    "LLMEvalError",
    "Project",
    "RunResult",
    "RunSummary",
    "UsageError",
    "Verdict",
    "__version__",
    "compare",
    "load_project",
    "run",
    "run_async",
]


def __getattr__(name: str) -> Any:
    import importlib

    if name == "testing":  # llmeval.testing.assert_suite_passes after a bare `import llmeval`
        return importlib.import_module("llmeval.testing")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'llmeval' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
