"""Baseline lookup and the gate decision, shared by ``run --baseline`` and ``diff``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llmeval.errors import UsageError


class Baselines:
    """Baseline results for the suites of a run, from baseline files or a run folder."""

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


def _merge(metas: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"models": {}, "prompts": {}, "suites": {}}
    for m in metas:
        for key in ("models", "prompts", "suites"):
            out[key].update(m.get(key) or {})
        for key, value in m.items():
            if key not in out:
                out[key] = value
    return out


def baseline_path(project: Any, suite: str) -> Path:
    return project.root / project.settings.suites_dir / "baselines" / f"{suite}.json"


def load_ref(project: Any, ref: str) -> tuple[list[Any], dict[str, Any], str]:
    """A run (id, prefix, 'latest', folder) or a baseline file -> (results, meta, label)."""
    from llmeval.store.baselines import load_baseline

    path = Path(ref)
    if path.suffix == ".json" and path.is_file():
        results, meta = load_baseline(path)
        return results, meta, str(path)
    from llmeval.cli.runs import load_run

    run_dir, results, meta = load_run(project.root, ref)
    return results, meta, run_dir.name


def load_baselines(project: Any, ref: str, suites: list[str]) -> Baselines | None:
    """``auto``: the committed baseline of each selected suite (None if there is none)."""
    if ref != "auto":
        return Baselines(*load_ref(project, ref))
    from llmeval.store.baselines import load_baseline

    names = suites or list(project.suites)
    found = [(n, baseline_path(project, n)) for n in names if baseline_path(project, n).exists()]
    if not found:
        return None
    results: list[Any] = []
    metas = []
    for _, path in found:
        rs, meta = load_baseline(path)
        results.extend(rs)
        metas.append(meta)
    return Baselines(results, _merge(metas), ", ".join(str(p.name) for _, p in found))


def check_comparable(project: Any, plan: Any, baselines: Baselines) -> None:
    """UsageError if the judge or shared assertions changed since the baseline."""
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


def gate_run(
    project: Any, report: Any, baselines: Baselines | None, *, allow_changed: bool
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(gate dict, comparison dict or None) for a finished run."""
    from llmeval.analysis.gate import decide

    policy = project.settings.gate
    suite_policies = {s.name: s.gate for s in report.plan.suites if s.gate}
    comparison = None
    case_notes: list[str] = []
    if baselines is not None:
        from llmeval.analysis.changes import IncomparableError, without_changed
        from llmeval.analysis.diff import compare

        suites = {s.name for s in report.plan.suites}
        base = [r for r in baselines.results if r.suite in suites]
        if not allow_changed:  # --allow-changed-judge: compare everything as it is
            base, case_notes = without_changed(base, baselines.meta, report.manifest)
        try:
            comparison = compare(
                base,
                report.results,
                baselines.meta,
                report.manifest,
                allow_changed_judge=allow_changed,
                alpha=policy.alpha,
            )
        except IncomparableError as e:
            raise UsageError(str(e)) from None
    result = decide(comparison, report.manifest["summary"]["groups"], policy, suite_policies)
    gate = result.to_json()
    reasons = list(gate["reasons"]) + case_floor_reasons(report)
    if comparison is not None and baselines is not None:
        paired = [c for c in comparison.cases if c.change not in ("new", "removed")]
        if not paired and report.results:
            # e.g. a renamed model alias: a gate that compared nothing must not pass
            reasons.append(
                f"the baseline ({baselines.label}) shares no case with this run "
                "(same suite, case id, model and prompt name): nothing was compared"
            )
    incomplete = bool(result.errors_over_budget)
    if incomplete:
        bad = sorted({f"{r.suite}/{r.case_id}" for r in report.results if r.status == "error"})
        shown = ", ".join(bad[:20]) + (f" and {len(bad) - 20} more" if len(bad) > 20 else "")
        reasons.append(f"errored cases: {shown}")
    if report.not_run:
        incomplete = True
        why = report.outcome.stop_reason or "provider stopped"
        reasons.insert(0, f"{report.not_run} results not run ({why})")
    gate.update(passed=not reasons, reasons=reasons, incomplete=incomplete)
    if baselines is not None:
        gate["baseline"] = baselines.label
    comp_json = comparison.with_gate(result).to_json() if comparison is not None else None
    if comp_json is not None:
        comp_json["changes"] = list(comp_json.get("changes") or []) + case_notes
        comp_json["gate"] = {"passed": gate["passed"], "reasons": reasons}
    return gate, comp_json


def case_floor_reasons(report: Any) -> list[str]:
    """Cases that set their own ``min_pass_rate`` (over repeats) and fall below it."""
    floors = {
        (s.name, c.id): c.min_pass_rate
        for s in report.plan.suites
        for c in s.cases
        if c.min_pass_rate is not None
    }
    if not floors:
        return []
    tally: dict[tuple[str, str, str, str], list[bool]] = {}
    for r in report.results:
        if (r.suite, r.case_id) in floors and r.status in ("pass", "fail"):
            tally.setdefault((r.suite, r.case_id, r.model, r.prompt), []).append(r.status == "pass")
    out = []
    for (suite, case, model, prompt), v in sorted(tally.items()):
        rate, floor = sum(v) / len(v), floors[(suite, case)]
        if rate < floor - 1e-12:
            out.append(
                f"{suite}/{case} [{model}, {prompt}]: passed {sum(v)}/{len(v)} repeats "
                f"({rate:.0%}), below its min_pass_rate {floor:.0%}"
            )
    return out
