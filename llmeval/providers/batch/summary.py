"""What ``llmeval batch status`` shows: every batch a folder records (no network)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from llmeval.providers.batch.state import StateDir


@dataclass(frozen=True)
class BatchSummary:
    """One batch as the folder records it (no network): for ``llmeval batch status``."""

    model: str
    api: str
    name: str
    batch_id: str | None
    phase: str
    remote_status: str | None
    requests: int
    counts: dict[str, int]
    cancel_requested: bool


def summarize(folder: Path) -> list[BatchSummary]:
    """Every batch recorded under ``folder`` (one model's folder, or their parent)."""
    dirs = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())] if folder.is_dir() else []
    return [
        BatchSummary(
            s.model,
            s.api,
            s.name,
            s.batch_id,
            s.phase,
            s.remote_status,
            len(s.keys),
            dict(s.counts),
            s.cancel_requested,
        )
        for d in dirs
        for s in StateDir(d).load()
    ]
