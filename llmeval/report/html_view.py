"""The server-rendered parts of the HTML report: verdict, summary cards, lists, matrix.

Pure functions from (results, manifest, comparison, verdict) to plain dicts the Jinja
template prints. Summaries come from ``analysis.summarize`` (run.json's, or computed
from the results when a killed run has none), never recomputed here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from llmeval.analysis.gate import Verdict
from llmeval.domain.record import CaseResult
from llmeval.report import html_reasons
from llmeval.report.html_payload import BaseKey

LIST_LIMIT = 50  # rows per attention list; the rest is one filter click away


def when(value: Any) -> str:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value or "")


def header(meta: Mapping[str, Any]) -> dict[str, Any]:
    models = meta.get("models")
    prompts = meta.get("prompts")
    models = models if isinstance(models, Mapping) else {}
    prompts = prompts if isinstance(prompts, Mapping) else {}
    return {
        "run_id": str(meta.get("run_id") or ""),
        "started_at": when(meta.get("started_at")),
        "finished_at": when(meta.get("finished_at")),
        "version": str(meta.get("llmeval_version") or ""),
        "git_sha": str(meta.get("git_sha") or "")[:12],
        "models": [
            {"alias": str(a), **{k: str(v) for k, v in m.items() if v is not None}}
            for a, m in sorted(models.items(), key=lambda kv: str(kv[0]))
            if isinstance(m, Mapping)
        ],
        "prompts": [
            {"ref": str(ref), "sha": str(sha or "")[:12]}
            for ref, sha in sorted(prompts.items(), key=lambda kv: str(kv[0]))
        ],
    }


def verdict(v: Verdict | None) -> dict[str, Any]:
    """The verdict section: what ``analysis.gate.verdict`` decided, nothing more."""
    if v is None:
        return {"state": "none", "title": "No gate evaluated", "reasons": [], "notes": []}
    state = {"passed": "pass", "failed": "fail"}.get(v.status, "warn")
    title = {
        "passed": "Gate passed",
        "failed": "Gate failed",
        "incomplete": "Incomplete: more calls could change the verdict",
        "interrupted": "Interrupted",
    }[v.status]
    return {
        "state": state,
        "title": title,
        "status": v.status,
        "exit_code": v.exit_code,
        "reasons": [r.message for r in v.reasons],
        "notes": list(v.notes),
    }


def cards(totals: Mapping[str, Any], comparison: Mapping[str, Any] | None) -> dict[str, Any]:
    n = totals.get("n") or 0
    hits = totals.get("cache_hits") or 0
    ci = totals.get("pass_rate_ci")
    deltas = sorted(
        (m for m in (comparison or {}).get("metrics") or () if m.get("delta") is not None),
        key=lambda m: (not m.get("significant"), -abs(m["delta"])),
    )
    return {
        **totals,
        "pass_rate_ci": list(ci) if isinstance(ci, list | tuple) and len(ci) == 2 else None,
        "cache_rate": hits / n if n else None,
        "judged": (totals.get("passed") or 0) + (totals.get("failed") or 0),
        "error_rate": (totals.get("errors") or 0) / n if n else None,
        "deltas": deltas[:3],
        "n_significant": sum(1 for m in deltas if m.get("significant")),
        "n_metrics": len(deltas),
    }


def matrix(groups: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Rows = (suite, prompt), columns = models; each cell one summary group."""
    models = sorted({str(g.get("model", "")) for g in groups})
    rows: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = {}
    for g in groups:
        rows.setdefault((str(g.get("suite", "")), str(g.get("prompt", ""))), {})[
            str(g.get("model", ""))
        ] = g
    return {
        "models": models,
        "rows": [
            {"suite": s, "prompt": p, "cells": [cells.get(m) for m in models]}
            for (s, p), cells in sorted(rows.items())
        ],
    }


def heat(rate: Any) -> int:
    """A 0..10 colour bucket for a pass rate (CSS classes, no inline styles: CSP)."""
    return max(0, min(10, round(float(rate) * 10))) if isinstance(rate, int | float) else -1


def attention_with_baseline(
    comparison: Mapping[str, Any],
    keys: Mapping[BaseKey, str],
    results: Sequence[CaseResult] = (),
) -> list[dict[str, Any]]:
    # a case's repeats are one comparison row: its reasons are those of a failing repeat
    shown: dict[BaseKey, CaseResult] = {}
    for r in results:
        bk = (r.suite, r.case_id, r.model, r.prompt)
        if bk not in shown or (shown[bk].status == "pass" and r.status != "pass"):
            shown[bk] = r

    def base_key(c: Mapping[str, Any]) -> BaseKey:
        fields = ("suite", "case_id", "model", "prompt")
        s, i, m, p = (str(c.get(f, "")) for f in fields)
        return (s, i, m, p)

    cases = [
        dict(c, key=keys.get(base_key(c)), why=html_reasons.why(shown.get(base_key(c))))
        for c in comparison.get("cases") or ()
    ]
    failing = ("fail", "error")
    spec = [
        ("regressions", "Regressions", "regressed", lambda c: c.get("change") == "regressed"),
        (
            "new-failures",
            "New failures",
            "new",
            lambda c: c.get("change") == "new" and c.get("cand_status") in failing,
        ),
        ("errored", "New errors", "errored", lambda c: c.get("change") == "errored"),
        ("flaky", "Flaky", "flaky", lambda c: c.get("change") == "flaky"),
        ("fixed", "Fixed", "fixed", lambda c: c.get("change") == "fixed"),
    ]
    out = []
    for ident, title, change, pred in spec:
        sel = sorted(
            (c for c in cases if pred(c)),
            key=lambda c: (not c.get("critical"), str(c.get("suite")), str(c.get("case_id"))),
        )
        out.append(_list(ident, title, sel, f"change={change}", open_=ident != "fixed"))
    return out


def attention_without_baseline(
    results: Sequence[CaseResult], row_keys: Sequence[str]
) -> list[dict[str, Any]]:
    failing = [
        _result_item(r, k) for r, k in zip(results, row_keys, strict=True) if r.status == "fail"
    ]
    errors = [
        _result_item(r, k) for r, k in zip(results, row_keys, strict=True) if r.status == "error"
    ]
    by: dict[BaseKey, list[tuple[CaseResult, str]]] = defaultdict(list)
    for r, k in zip(results, row_keys, strict=True):
        by[(r.suite, r.case_id, r.model, r.prompt)].append((r, k))
    flaky = [
        dict(
            _result_item(rs[0][0], rs[0][1]),
            flaky=f"{sum(r.status == 'pass' for r, _ in rs)}/{len(rs)} passed",
        )
        for rs in by.values()
        if len({r.status for r, _ in rs} & {"pass", "fail"}) == 2
    ]
    return [
        _list("failures", "Failures", failing, "status=fail"),
        _list("errors", "Errors", errors, "status=error"),
        _list("flaky", "Flaky across repeats", flaky, ""),
    ]


def _result_item(r: CaseResult, key: str) -> dict[str, Any]:
    return {
        "suite": r.suite,
        # repeats of one case are separate rows: say which one
        "case_id": r.case_id if not r.repeat else f"{r.case_id} (repeat {r.repeat})",
        "model": r.model,
        "prompt": r.prompt,
        "cand_status": r.status,
        "cand_score": r.score,
        "why": html_reasons.why(r),
        "key": key,
    }


def _list(ident: str, title: str, items: list, filt: str, open_: bool = True) -> dict[str, Any]:
    return {
        "id": ident,
        "title": title,
        "total": len(items),
        "items": items[:LIST_LIMIT],
        "filter": filt,
        "open": open_,
    }


REPORT_LABEL_CHARS = 48  # one label of the report's confusion matrix


def _bounded_matrix(cls: Mapping[str, Any]) -> dict[str, Any]:
    """A classification with its confusion matrix folded to its ``max_labels`` (the
    console's rule, ``analysis.corpus.fold_labels``) and each label clipped with a
    visible marker (``llmeval.text.clip``)."""
    keep = cls.get("max_labels")
    cls = {k: v for k, v in cls.items() if k != "max_labels"}  # a setting, not a figure
    if not cls.get("confusion_matrix") or not cls.get("labels"):
        return cls
    from llmeval.analysis.corpus import MAX_LABELS, fold_labels
    from llmeval.text import clip

    labels, matrix = fold_labels(cls["labels"], cls["confusion_matrix"], keep or MAX_LABELS)
    shown = [clip(lab, REPORT_LABEL_CHARS, count=False) for lab in labels]
    return {**cls, "labels": shown, "confusion_matrix": matrix}


def bounded_corpus(corpus: Any) -> Any:
    """A run-level ``corpus`` mapping (older run.json files), its matrices bounded too."""
    if not isinstance(corpus, Mapping):
        return corpus
    return {k: _bounded_matrix(v) if isinstance(v, Mapping) else v for k, v in corpus.items()}


def group_metrics(groups: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The report's suite-level metrics, per suite x model x prompt: corpus BLEU / chrF,
    classification (with its confusion matrix) and the suite's derived metrics."""
    out: dict[str, dict[str, Any]] = {}
    for g in groups:
        corpus = g.get("corpus") or {}
        row: dict[str, Any] = {k: v for k, v in corpus.items() if k != "classification"}
        row.update(_bounded_matrix(corpus.get("classification") or {}))
        row.update({k: "–" if v is None else v for k, v in (g.get("derived") or {}).items()})
        if row:
            out[f"{g.get('suite', '')} [{g.get('model', '')} {g.get('prompt', '')}]"] = row
    return out
