"""Gate a run: compare it with its baseline, ask ``analysis.gate.verdict``, store both.

The application-level seam the CLI (``run``, ``diff``, ``report``) and the Python API
share. The comparison and the verdict are written to run.json, with the inputs the
verdict was computed from (policies, run state), so ``llmeval report RUN`` and
``llmeval diff`` reproduce it instead of deciding again with other rules.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from llmeval.analysis.comparison import Comparison
from llmeval.analysis.gate import Policies, RunState, Verdict, verdict
from llmeval.analysis.summarize import RunSummary
from llmeval.domain.record import CaseResult
from llmeval.errors import UsageError
from llmeval.store.project import StoredResults


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """The ``CI`` variable CI systems set (GitHub Actions, GitLab, CircleCI...): true."""
    value = (environ if environ is not None else os.environ).get("CI", "")
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def check_comparable(project: Any, plan: Any, baselines: StoredResults) -> None:
    """UsageError, before any call, if the judge or shared assertions changed."""
    from llmeval.analysis.changes import explain
    from llmeval.engine.manifest import fingerprints, judge_meta

    cand = {"suites": fingerprints(plan), "judge": judge_meta(project, plan)}
    base = {k: baselines.meta.get(k) for k in ("suites", "judge")}
    _, blocking = explain(base, cand, {s.name for s in plan.suites})
    if blocking:
        raise UsageError(
            "cannot compare with the baseline: "
            + "; ".join(blocking)
            + ". Save a new baseline, or allow it explicitly (--allow-changed-judge)."
            + " Nothing was run."
        )


def compare_with(
    baselines: StoredResults,
    results: Sequence[CaseResult],
    meta: Mapping[str, Any],
    *,
    allow_changed: bool,
    alpha: float,
    only_suites: set[str] | None = None,
    seed: int = 0,
) -> Comparison:
    from llmeval.analysis.changes import IncomparableError
    from llmeval.analysis.diff import compare_runs

    try:
        return compare_runs(
            baselines.results,
            results,
            baselines.meta,
            meta,
            allow_changed=allow_changed,
            alpha=alpha,
            seed=seed,
            only_suites=only_suites,
        )
    except IncomparableError as e:
        raise UsageError(str(e)) from None


def run_state(manifest: Mapping[str, Any]) -> RunState:
    """How a stored run ended, from its manifest."""
    stored = manifest.get("run_state")
    if stored:
        return RunState.from_json(stored)
    counts = manifest.get("counts") or {}
    status = manifest.get("status")
    return RunState(
        not_run=int(counts.get("not_run") or 0),
        stop_reason=status if status in ("interrupted", "budget") else None,
    )


def judge(
    results: Sequence[CaseResult],
    manifest: Mapping[str, Any],
    comparison: Comparison | None,
    *,
    state: RunState | None = None,
    baseline: str | None = None,
) -> Verdict:
    """The verdict of stored or fresh results, by the policies stored with the run."""
    return verdict(
        results,
        RunSummary.from_json(manifest.get("summary")),
        Policies.from_json(manifest.get("policies")),
        state or run_state(manifest),
        comparison,
        baseline=baseline,
    )


def gate_run(
    project: Any,
    report: Any,
    baselines: StoredResults | None,
    *,
    allow_changed: bool = False,
    allow_skipped: bool = False,
    ci: bool | None = None,
) -> tuple[Verdict, Comparison | None]:
    """Gate a finished run and record the verdict (and comparison) in its run.json."""
    from llmeval.store.runs import write_json

    comparison = None
    if baselines is not None:
        comparison = compare_with(
            baselines,
            report.results,
            report.manifest,
            allow_changed=allow_changed,
            alpha=project.settings.gate.alpha,
            only_suites={s.name for s in report.plan.suites},
        )
    state = RunState(
        not_run=report.not_run,
        stop_reason=report.outcome.stop_reason,
        ci=in_ci() if ci is None else ci,
        allow_skipped=allow_skipped,
    )
    label = baselines.label if baselines is not None else None
    result = judge(report.results, report.manifest, comparison, state=state, baseline=label)
    report.manifest["run_state"] = state.to_json()
    report.manifest["comparison"] = comparison.to_json() if comparison is not None else None
    report.manifest["baseline"] = label
    report.manifest["verdict"] = result.to_json()
    write_json(report.run_dir / "run.json", report.manifest)
    return result, comparison


def stored_verdict(stored: StoredResults) -> tuple[Verdict, Comparison | None]:
    """The verdict of a stored run, recomputed from what the run stored (``report``)."""
    cmp_json = stored.meta.get("comparison")
    comparison = Comparison.from_json(cmp_json) if cmp_json else None
    return (
        judge(stored.results, stored.meta, comparison, baseline=stored.meta.get("baseline")),
        comparison,
    )
