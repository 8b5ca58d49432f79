"""Baseline lookup and the gate decision for ``llmeval run``."""

from __future__ import annotations

from typing import Any


class Baselines:
    """Baseline results for the suites of a run (from files or a run folder)."""

    def __init__(self, results: list[Any], meta: dict[str, Any], label: str) -> None:
        self.results = results
        self.meta = meta
        self.label = label

    def outputs(self) -> dict[tuple[str, str, str, str], str]:
        return {
            (r.suite, r.case_id, r.model, r.prompt): r.output
            for r in self.results
            if r.output is not None and r.repeat == 0
        }


def load_baselines(project: Any, ref: str, suites: list[str]) -> Baselines | None:
    raise NotImplementedError


def gate_run(
    project: Any, report: Any, baselines: Baselines | None, *, allow_changed: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(gate dict, comparison dict or None). Gate: {passed, incomplete, reasons, flaky}."""
    policy = project.settings.gate
    summary = report.manifest["summary"]
    reasons: list[str] = []
    incomplete = False
    tot = summary["totals"]
    if report.not_run:
        incomplete = True
        why = report.outcome.stop_reason or "provider stopped"
        reasons.append(
            f"{report.not_run} results not run ({why}); resume with --resume {report.run_id}"
        )
    if tot["n"] and tot["errors"] / tot["n"] > policy.max_error_rate:
        incomplete = True
        ids = sorted({r.case_id for r in report.results if r.status == "error"})
        shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        reasons.append(
            f"{tot['errors']} errors exceed the error budget ({policy.max_error_rate:.0%}): {shown}"
        )
    for g in summary["groups"]:
        floor = g.get("min_pass_rate")
        floor = 1.0 if floor is None else floor
        if g["pass_rate"] is not None and g["pass_rate"] < floor - 1e-12:
            reasons.append(
                f"{g['suite']} [{g['model']} {g['prompt']}]: pass rate {g['pass_rate']:.1%}"
                f" below min_pass_rate {floor:.0%}"
            )
    return {"passed": not reasons, "incomplete": incomplete, "reasons": reasons, "flaky": []}, None
