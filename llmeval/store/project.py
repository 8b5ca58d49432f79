"""Where a project's runs, reports and baselines live: the one lookup every command uses.

Honours ``paths:`` in llmeval.yaml (runs, reports, suites). A reference to results is
a run (id, unique prefix, ``latest``, or a run folder), a baseline file, or ``auto``
(the committed baseline of each selected suite).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmeval.domain.project import Settings
from llmeval.domain.record import CaseResult
from llmeval.errors import UsageError
from llmeval.store.runs import JOURNAL, RunStore


@dataclass
class StoredResults:
    """Results from a run or from baselines, with the manifest-shaped metadata."""

    results: list[CaseResult]
    meta: dict[str, Any]
    label: str
    run_dir: Path | None = None
    baseline_files: list[Path] = field(default_factory=list)

    @property
    def is_baseline(self) -> bool:
        return bool(self.baseline_files)


def _merge(metas: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {"models": {}, "prompts": {}, "suites": {}}
    for m in metas:
        for key in ("models", "prompts", "suites"):
            out[key].update(m.get(key) or {})
        for key, value in m.items():
            if key not in out:
                out[key] = value
    return out


class ProjectStore:
    def __init__(self, root: Path, settings: Settings | None = None) -> None:
        self.root = root
        self.settings = settings or Settings(root=root)
        self.runs = RunStore(root, self.settings.runs_dir)

    # -- runs -----------------------------------------------------------------------
    def load_run(self, ref: str) -> StoredResults:
        from llmeval.engine.journal import read_journal

        run_dir = self.runs.resolve(ref)
        meta = self.runs.read_manifest_at(run_dir) or {"run_id": run_dir.name}
        results = read_journal(run_dir / JOURNAL)
        if "summary" not in meta:  # killed before its end: summarise what finished
            from llmeval.analysis.summarize import summarize

            meta["summary"] = summarize(results).to_json()
        return StoredResults(results, meta, run_dir.name, run_dir=run_dir)

    # -- reports --------------------------------------------------------------------
    @property
    def reports_dir(self) -> Path:
        return self.root / self.settings.reports_dir

    def report_path(self, run_id: str) -> Path:
        return self.reports_dir / f"{run_id}.html"

    def latest_report(self) -> Path:
        return self.reports_dir / "latest.html"

    # -- baselines ------------------------------------------------------------------
    def baseline_path(self, suite: str) -> Path:
        from llmeval.store.baselines import baseline_path

        return baseline_path(self.root, suite, self.settings.suites_dir)

    def load_ref(self, ref: str) -> StoredResults:
        """A run or a baseline file."""
        from llmeval.store.baselines import load_baseline

        path = Path(ref)
        if path.suffix == ".json" and not (path / JOURNAL).exists():
            if not path.is_file():
                raise UsageError(f"baseline file {ref} does not exist")
            results, meta = load_baseline(path)
            return StoredResults(results, meta, str(path), baseline_files=[path])
        return self.load_run(ref)

    def load_baselines(self, ref: str, suites: list[str]) -> StoredResults | None:
        """``auto``: the committed baseline of each selected suite (None if there is none)."""
        if ref != "auto":
            return self.load_ref(ref)
        from llmeval.store.baselines import load_baseline

        found = [p for p in (self.baseline_path(n) for n in suites) if p.exists()]
        if not found:
            return None
        results: list[CaseResult] = []
        metas = []
        for path in found:
            rs, meta = load_baseline(path)
            results.extend(rs)
            metas.append(meta)
        label = ", ".join(p.name for p in found)
        return StoredResults(results, _merge(metas), label, baseline_files=found)
