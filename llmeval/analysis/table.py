"""Results as a table: one row per result, the analyst's usual entry point.

``RunResult.to_pandas()`` and ``llmeval export`` both come from ``result_rows`` /
``results_frame``: one table, so a CSV, a Parquet file and a notebook agree.
pandas is imported only when a frame is asked for (``llmeval --help`` stays fast).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from llmeval.domain.record import CaseResult

if TYPE_CHECKING:
    import pandas as pd

# The fixed columns, in order; one column per assertion metric follows them.
COLUMNS: tuple[str, ...] = (
    "run_id",
    "suite",
    "case_id",
    "model",
    "prompt",
    "repeat",
    "status",
    "score",
    "latency_ms",
    "cost_usd",
    "tokens",
    "tokens_input",
    "tokens_output",
    "cached",
    "error_kind",
    "output",
)


def metric_column(name: str) -> str:
    """The column of an assertion metric; prefixed only where it would hide a fixed one."""
    return f"metric.{name}" if name in COLUMNS else name


def _metric_scores(r: CaseResult) -> dict[str, float | None]:
    """Per metric (``metric:`` name, else the type as written, as the summary keys them):
    the mean score of its scored assertions; None when none of them could be scored."""
    scores: dict[str, list[float]] = {}
    for a in r.assertions:
        got = scores.setdefault(metric_column(a.metric or a.type), [])
        if a.scored and a.score is not None:
            got.append(float(a.score))
    return {k: (sum(v) / len(v) if v else None) for k, v in scores.items()}


def result_rows(results: Iterable[CaseResult]) -> tuple[list[str], list[dict[str, Any]]]:
    """The columns and one plain row per result (no pandas needed)."""
    rows: list[dict[str, Any]] = []
    metrics: dict[str, None] = {}  # ordered set: first seen first
    for r in results:
        tin, tout = int(r.tokens.get("input", 0)), int(r.tokens.get("output", 0))
        row: dict[str, Any] = {
            "run_id": r.run_id,
            "suite": r.suite,
            "case_id": r.case_id,
            "model": r.model,
            "prompt": r.prompt,
            "repeat": r.repeat,
            "status": r.status,
            "score": r.score,
            "latency_ms": r.latency_ms,
            "cost_usd": r.cost_usd,
            "tokens": tin + tout,
            "tokens_input": tin,
            "tokens_output": tout,
            "cached": r.cached,
            "error_kind": r.error.kind if r.error is not None else None,
            "output": r.output,
        }
        per = _metric_scores(r)
        metrics.update(dict.fromkeys(per))
        row.update(per)
        rows.append(row)
    columns = [*COLUMNS, *metrics]
    return columns, [{c: row.get(c) for c in columns} for row in rows]


def results_frame(results: Sequence[CaseResult]) -> pd.DataFrame:
    """The results as a pandas DataFrame (one row per result)."""
    import pandas as pd

    columns, rows = result_rows(results)
    frame = pd.DataFrame.from_records(rows, columns=columns)
    # numeric columns stay numeric even when every value is missing
    for c in ("score", "latency_ms", "cost_usd", *columns[len(COLUMNS) :]):
        frame[c] = pd.to_numeric(frame[c], errors="coerce").astype("float64")
    return frame
