"""Committed baselines: ``suites/baselines/<suite>.json``.

One file per suite, written for review in a pull request: sorted keys and entries,
numbers rounded to 6 digits, indent 2, trailing newline, and nothing that changes
from run to run inside the entries (no run ids, timestamps, latencies or costs).
The source run id and its timestamp sit at the top only. Saving the same run twice
gives identical bytes.

Each entry folds the repeats of one case x model x prompt: counts of passes, fails,
errors and skips, the mean score, per-assertion mean scores, and one output (a failing
one if any), truncated. ``load_baseline`` turns entries back into CaseResults (one
per counted repeat) so ``analysis.diff.compare`` accepts a baseline like a run.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from llmeval.analysis.cases import aggregate
from llmeval.analysis.changes import suite_fingerprints
from llmeval.domain.record import (
    ERROR,
    FAIL,
    PASS,
    SKIPPED,
    AssertionResult,
    CaseResult,
    Status,
)
from llmeval.errors import UsageError

FORMAT = 1
MAX_OUTPUT = 2000
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def baseline_path(root: Path, suite: str, suites_dir: str = "suites") -> Path:
    if not _SAFE_NAME.fullmatch(suite) or ".." in suite:
        raise UsageError(f"suite name {suite!r} cannot be used as a baseline file name")
    return Path(root) / suites_dir / "baselines" / f"{suite}.json"


def _round(x: Any) -> Any:
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return None
        r = round(x, 6)
        return 0.0 if r == 0 else r  # no "-0.0"
    if isinstance(x, dict):
        return {k: _round(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_round(v) for v in x]
    return x


_TRUNCATED = re.compile(r"… \[\d+ more characters\]\Z")


def _truncate(text: str | None) -> str | None:
    if text is None or len(text) <= MAX_OUTPUT:
        return text
    if len(text) < MAX_OUTPUT + 40 and _TRUNCATED.search(text, MAX_OUTPUT):
        return text  # already truncated (a baseline re-saved from a loaded one)
    return text[:MAX_OUTPUT] + f"… [{len(text) - MAX_OUTPUT} more characters]"


def _fingerprint(meta: Mapping[str, Any], suite: str, results: list[CaseResult]) -> dict:
    refs = sorted({r.prompt for r in results})
    shas = {r.prompt: r.prompt_sha for r in results}
    meta_prompts = meta.get("prompts") or {}
    aliases = sorted({r.model for r in results})
    ids = {r.model: r.model_id for r in results}
    meta_models = meta.get("models") or {}
    models = {}
    for a in aliases:
        spec = meta_models.get(a)
        spec = dict(spec) if isinstance(spec, Mapping) else {}
        spec = {k: spec[k] for k in ("provider", "model", "model_id") if spec.get(k)}
        if ids.get(a) and "model_id" not in spec:
            spec["model_id"] = ids[a]
        models[a] = spec
    return {
        "assertions": suite_fingerprints(meta).get(suite),
        "config_sha": meta.get("config_sha"),
        "judge": meta.get("judge"),
        "models": models,
        "prompts": {ref: meta_prompts.get(ref) or shas.get(ref) or "" for ref in refs},
    }


def _fold_assertions(results: list[CaseResult]) -> list[dict[str, Any]]:
    """Per assertion (by position): its mean score over the scored repeats.

    ``passed`` is true or false when every repeat agrees, else null. The score falls
    back to 1/0 from ``passed`` as in the diff, so a reload gives the same metric means.
    No reasons: a judge's wording changes every run and would only add diff noise.
    """
    scored = [r for r in results if r.status in (PASS, FAIL)]
    by_pos: dict[tuple[int, str, str | None], list[AssertionResult]] = {}
    for r in scored:
        for i, a in enumerate(r.assertions):
            by_pos.setdefault((i, a.type, a.metric), []).append(a)
    out = []
    for (_i, a_type, metric), items in sorted(
        by_pos.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
    ):
        verdicts = {a.passed for a in items}
        raw = [a.score if a.score is not None else _as_score(a.passed) for a in items]
        values = [v for v in raw if v is not None]
        d: dict[str, Any] = {
            "type": a_type,
            "passed": verdicts.pop() if len(verdicts) == 1 else None,
            "score": sum(values) / len(values) if values else None,
        }
        if metric:
            d["metric"] = metric
        out.append(d)
    return out


def _as_score(passed: bool | None) -> float | None:
    return None if passed is None else float(passed)


def baseline_document(
    results: Iterable[CaseResult], meta: Mapping[str, Any], suite: str
) -> dict[str, Any]:
    """The baseline of one suite as a JSON-ready dict (pure)."""
    mine = [r for r in results if r.suite == suite]
    if not mine:
        raise UsageError(f"run {meta.get('run_id', '?')} has no results for suite {suite!r}")
    entries = []
    case_shas = ((meta.get("suites") or {}).get(suite) or {}).get("cases") or {}
    for (_s, case_id, model, prompt), agg in sorted(aggregate(mine).items()):
        shown = agg.shown
        assert shown is not None
        entries.append(
            {
                "case_id": case_id,
                "model": model,
                "prompt": prompt,
                "prompt_sha": agg.prompt_sha,
                "status": agg.status,
                "counts": {
                    "pass": agg.passes,
                    "fail": agg.fails,
                    "error": agg.errors,
                    "skipped": agg.skipped,
                },
                "score": agg.score,
                "assertions": _fold_assertions(agg.results),
                "output": _truncate(agg.output),
                "critical": agg.critical,
                **({"assert_sha": case_shas[case_id]} if case_id in case_shas else {}),
            }
        )
    return _round(
        {
            "format": FORMAT,
            "suite": suite,
            "source_run": meta.get("run_id"),
            "created_at": meta.get("finished_at")
            or meta.get("started_at")
            or meta.get("created_at"),
            "fingerprint": _fingerprint(meta, suite, mine),
            "entries": entries,
        }
    )


def dump_baseline(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def save_baseline(
    results: Iterable[CaseResult],
    meta: Mapping[str, Any],
    suite: str,
    root: Path,
    suites_dir: str = "suites",
) -> Path:
    """Write ``<root>/<suites_dir>/baselines/<suite>.json`` atomically; return its path."""
    path = baseline_path(root, suite, suites_dir)
    text = dump_baseline(baseline_document(results, meta, suite))
    from llmeval.store.runs import atomic_write  # temp file + rename, mode 0644

    atomic_write(path, text)
    return path


def _results_of(entry: Mapping[str, Any], suite: str, run_id: str) -> list[CaseResult]:
    counts = entry.get("counts") or {}
    rebuilt = tuple(
        AssertionResult.from_json(
            {k: a.get(k) for k in ("type", "passed", "score", "metric") if k in a}
        )
        for a in entry.get("assertions") or ()
    )
    out = []
    statuses: tuple[Status, ...] = (PASS, FAIL, ERROR, SKIPPED)
    keys = ("pass", "fail", "error", "skipped")
    repeat = 0
    for status, k in zip(statuses, keys, strict=True):
        for _ in range(int(counts.get(k, 0))):
            scored = status in (PASS, FAIL)
            out.append(
                CaseResult(
                    run_id=run_id,
                    suite=suite,
                    case_id=entry["case_id"],
                    model=entry["model"],
                    prompt=entry["prompt"],
                    prompt_sha=entry.get("prompt_sha", ""),
                    repeat=repeat,
                    status=status,
                    score=entry.get("score") if scored else None,
                    output=entry.get("output"),
                    assertions=rebuilt if scored else (),
                    tags=("critical",) if entry.get("critical") else (),
                )
            )
            repeat += 1
    return out


# samples of one case a baseline may hold (-k repeats): a bound, so a damaged count
# cannot make the reader build a billion results
MAX_SAMPLES = 10_000


def _number_or_none(x: Any) -> bool:
    return x is None or (isinstance(x, int | float) and not isinstance(x, bool))


def _checked_entry(entry: Any) -> Mapping[str, Any]:
    """``entry`` if it has the shape ``baseline_document`` writes; else ValueError."""
    if not isinstance(entry, dict):
        raise ValueError(f"an object is expected, not {type(entry).__name__}")
    for k in ("case_id", "model", "prompt"):
        if not isinstance(entry.get(k), str):
            raise ValueError(f"'{k}' should be a string")
    if not _number_or_none(entry.get("score")):
        raise ValueError("'score' should be a number")
    counts = entry.get("counts") or {}
    if not isinstance(counts, dict) or not all(
        type(v) is int and 0 <= v <= MAX_SAMPLES for v in counts.values()
    ):
        raise ValueError(f"'counts' should map statuses to whole numbers up to {MAX_SAMPLES:,}")
    for a in entry.get("assertions") or ():
        if not isinstance(a, dict) or not _number_or_none(a.get("score")):
            raise ValueError("each of 'assertions' should be an object with a numeric 'score'")
    if not isinstance(entry.get("output"), str | None):
        raise ValueError("'output' should be a string")
    return entry


def load_baseline(path: Path) -> tuple[list[CaseResult], dict[str, Any]]:
    """Read a baseline file: (results, meta shaped like a run manifest)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read baseline {path}: {e}") from e
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or "entries" not in doc:
        raise UsageError(f"{path} is not an llmeval baseline (format {FORMAT})")
    suite, entries = doc.get("suite"), doc["entries"]
    if not isinstance(suite, str) or not isinstance(entries, list):
        raise UsageError(f"{path} is not an llmeval baseline: 'suite' or 'entries' is malformed")
    raw_fp, raw_source = doc.get("fingerprint"), doc.get("source_run")
    fp: dict[str, Any] = raw_fp if isinstance(raw_fp, dict) else {}
    source = raw_source if isinstance(raw_source, str) else ""
    results = []
    for n, entry in enumerate(entries, 1):
        # a hand-edited or damaged file: a clear error naming the entry, never a crash
        # or an entry silently ignored (its case would read as new)
        try:
            results += _results_of(_checked_entry(entry), suite, source)
        except (AttributeError, KeyError, TypeError, ValueError) as err:
            case = f" (case {entry.get('case_id')!r})" if isinstance(entry, dict) else ""
            raise UsageError(
                f"{path}: entry {n}{case} is not a baseline entry: {err}; "
                "save it again with `llmeval baseline save`"
            ) from None
    meta: dict[str, Any] = {
        "run_id": source,
        "label": f"baseline {suite}" + (f" (from {source})" if source else ""),
        "baseline": str(path),
        "created_at": doc.get("created_at"),
        "suites": {
            suite: {
                "fingerprint": fp.get("assertions"),
                "cases": {
                    e["case_id"]: e["assert_sha"] for e in doc["entries"] if "assert_sha" in e
                },
            }
        },
        "models": fp.get("models") or {},
        "prompts": fp.get("prompts") or {},
        "judge": fp.get("judge"),
        "config_sha": fp.get("config_sha"),
    }
    return results, meta
