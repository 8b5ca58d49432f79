"""Batches of one run: the calls the engine and ``llmeval batch status|cancel`` make.

A run's batches live in ``<run_dir>/batches/<model alias>/`` (state + results files,
see ``state``). Every function here is safe to call again after a kill.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import CompletionRequest
from llmeval.providers.batch.answers import BatchAnswers
from llmeval.providers.batch.backend import batch_backend
from llmeval.providers.batch.state import BatchState
from llmeval.providers.batch.submitter import BatchSubmitter
from llmeval.providers.batch.summary import BatchSummary, summarize

FOLDER = "batches"


def batch_folder(run_dir: Path, alias: str) -> Path:
    return run_dir / FOLDER / alias


def submitter_for(
    run_dir: Path,
    spec: ModelSpec,
    *,
    cache: Any = None,
    root: Path | None = None,
    poll_s: float = 30.0,
) -> BatchSubmitter:
    """The submitter of ``spec`` in this run; the endpoint matches the model's Cached
    layer (``spec.base_url or spec.provider``), so batch answers are cache hits later."""
    return BatchSubmitter(
        batch_folder(run_dir, spec.alias),
        batch_backend(spec, root),
        cache=cache,
        endpoint=spec.base_url or spec.provider,
        poll_s=poll_s,
    )


async def run_batches(
    run_dir: Path,
    requests: Mapping[str, tuple[ModelSpec, Sequence[CompletionRequest]]],
    *,
    cache: Any = None,
    root: Path | None = None,
    poll_s: float = 30.0,
    on_progress: Callable[[str, list[BatchState]], None] | None = None,
) -> dict[str, BatchAnswers]:
    """Submit (or resume), wait for and collect every model's batch; by alias, a
    ``Provider`` that answers each request from its batch (or its error)."""
    out: dict[str, BatchAnswers] = {}
    for alias, (spec, reqs) in requests.items():
        sub = submitter_for(run_dir, spec, cache=cache, root=root, poll_s=poll_s)
        report = (lambda states, a=alias: on_progress(a, states)) if on_progress else None
        await sub.run(reqs, on_progress=report)
        out[alias] = sub.provider()
    return out


def batch_status(run_dir: Path) -> list[BatchSummary]:
    """Every batch of the run as last recorded (no network, no key needed)."""
    return summarize(run_dir / FOLDER)


async def refresh_status(run_dir: Path, specs: Mapping[str, ModelSpec]) -> list[BatchSummary]:
    """Ask the providers once about the run's running batches, then ``batch_status``."""
    for alias, spec in specs.items():
        if batch_folder(run_dir, alias).is_dir():
            await submitter_for(run_dir, spec).poll()
    return batch_status(run_dir)


async def cancel_batches(run_dir: Path, specs: Mapping[str, ModelSpec]) -> list[BatchSummary]:
    """Cancel the run's running batches (what finished is kept and collected on
    ``--resume``; what did not is not-run and goes into a new batch then)."""
    for alias, spec in specs.items():
        if batch_folder(run_dir, alias).is_dir():
            await submitter_for(run_dir, spec).cancel()
    return batch_status(run_dir)
