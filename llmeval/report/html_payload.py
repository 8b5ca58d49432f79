"""The case rows embedded in the HTML report as JSON, and the truncation policy.

Size policy (keeps a 10,000-case report bounded):

- every free-text field (output, expected, baseline output, prompt messages, vars,
  assertion reasons and details, error message, tool-call arguments, trajectory step
  arguments, outputs and errors) is shown in the page cut to
  ``PREVIEW_CHARS`` until the reader clicks "show full text";
- the full text is embedded up to ``FIELD_CAP`` characters per field, while a
  report-wide budget of ``EXTRA_BUDGET`` characters beyond the previews lasts. The
  budget is spent on the most interesting rows first (regressions, errors, failures);
- text beyond that is cut, and the row carries the number of characters left out, so
  the page says so (the journal, ``results.jsonl``, always has everything).

So a report is at most about ``rows x fields x PREVIEW_CHARS + EXTRA_BUDGET`` chars.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from llmeval.domain.record import AssertionResult, CaseResult

PREVIEW_CHARS = 4096
FIELD_CAP = 65536
EXTRA_BUDGET = 16 * 1024 * 1024

# Lower rank sorts first: what a reviewer must look at leads.
_CHANGE_RANK = {"regressed": 0, "errored": 1, "flaky": 3, "fixed": 6, "new": 7, "removed": 10}
_STATUS_RANK = {"error": 4, "fail": 5, "skipped": 8, "not_run": 8, "pass": 9}

BaseKey = tuple[str, str, str, str]


@dataclass
class _Budget:
    remaining: int


@dataclass
class _Texts:
    """Prompt messages repeat across cases (one system prompt per prompt version):
    each distinct text is embedded once and rows refer to it by index."""

    items: list[Any]
    index: dict[str, int]

    def ref(self, text: str, budget: _Budget) -> int:
        if text not in self.index:
            self.index[text] = len(self.items)
            self.items.append(clip(text, budget))
        return self.index[text]


@dataclass
class Payload:
    rows: list[dict[str, Any]]
    first_key: dict[BaseKey, str]  # (suite, case, model, prompt) -> key of its first row
    texts: list[Any]  # shared message texts, referenced by index from rows' "ms"


def row_rank(status: str, change: str | None) -> int:
    if change == "new" and status in ("fail", "error"):
        return 2  # a new case that fails is as urgent as a regression
    return min(_CHANGE_RANK.get(change or "", 99), _STATUS_RANK.get(status, 9))


def clip(text: str | None, budget: _Budget) -> str | list[Any] | None:
    """A string, or ``[text, omitted_chars]`` when the text had to be cut."""
    if text is None:
        return None
    if len(text) <= PREVIEW_CHARS:
        return text
    allowed = min(len(text), FIELD_CAP, PREVIEW_CHARS + max(budget.remaining, 0))
    budget.remaining -= allowed - PREVIEW_CHARS
    if allowed < len(text):
        return [text[:allowed], len(text) - allowed]
    return text


def as_text(value: Any) -> str | None:
    """Strings stay as they are; anything else is shown as indented JSON."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    # Compact (the C encoder is 10x faster than indent=); the page indents it for reading.
    return json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))


def make_keys(results: Sequence[CaseResult]) -> list[str]:
    """Unique, readable row keys used in deep links (``#case=<key>``)."""
    seen: dict[str, int] = {}
    keys = []
    for r in results:
        key = f"{r.suite}/{r.case_id}/{r.model}/{r.prompt}/{r.repeat}"
        n = seen.get(key, 0)
        seen[key] = n + 1
        keys.append(key if n == 0 else f"{key}~{n + 1}")
    return keys


def index_comparison(comparison: Mapping[str, Any] | None) -> dict[BaseKey, dict[str, Any]]:
    out: dict[BaseKey, dict[str, Any]] = {}
    for c in (comparison or {}).get("cases") or ():
        key = (str(c.get("suite", "")), str(c.get("case_id", "")))
        out[(*key, str(c.get("model", "")), str(c.get("prompt", "")))] = c
    return out


def _row(
    r: CaseResult, key: str, cmp: Mapping[str, Any] | None, budget: _Budget, texts: _Texts
) -> dict[str, Any]:
    tokens = r.tokens or {}
    row: dict[str, Any] = {
        "k": key,
        "s": r.suite,
        "c": r.case_id,
        "m": r.model,
        "p": r.prompt,
        "r": r.repeat,
        "st": r.status,
        "sc": r.score,
        "l": r.latency_ms,
        "ti": tokens.get("input", 0),
        "to": tokens.get("output", 0),
        "$": r.cost_usd,
        "ca": bool(r.cached),
        "t": [str(t) for t in r.tags],
    }
    optional = {
        "ps": r.prompt_sha,
        "mid": r.model_id,
        "fr": r.finish_reason,
        "jc": r.judge_cost_usd,
        "jt": r.judge_tokens,
    }
    row.update({k: v for k, v in optional.items() if v})
    if r.error:
        row["er"] = [r.error.kind, clip(r.error.message, budget)]
        if r.error.traceback:
            row["er"].append(clip(r.error.traceback, budget))
    _add_texts(row, r, budget, texts)
    if cmp:
        row["ch"] = cmp.get("change")
        row["bst"] = cmp.get("base_status")
        row["bsc"] = cmp.get("base_score")
        row["cr"] = bool(cmp.get("critical"))
        base = cmp.get("base_output")
        if base is not None and base == r.output:
            row["bs"] = 1  # same as the output: not embedded twice
        elif base is not None:
            row["bo"] = clip(str(base), budget)
    return row


def _add_texts(row: dict[str, Any], r: CaseResult, budget: _Budget, texts: _Texts) -> None:
    row["o"] = clip(r.output, budget)
    if r.expected is not None:
        row["e"] = clip(as_text(r.expected), budget)
    if r.vars:
        row["v"] = clip(as_text(r.vars), budget)
    if r.messages:
        row["ms"] = [_message(m, budget, texts) for m in r.messages]
        starts = [i for i, m in enumerate(r.messages) if isinstance(m.get("turn"), int)]
        if starts:  # which messages open a conversation's turns (engine.loop marks them)
            row["tu"] = starts
    if r.tool_calls:
        row["tc"] = [
            _call(c.name, c.arguments, c.raw_arguments, c.id, budget) for c in r.tool_calls
        ]
    if r.trajectory:
        row["tj"] = [
            [
                s.type,
                s.name,
                clip(as_text(s.arguments), budget),
                clip(s.output, budget),
                clip(s.error, budget),
                s.duration_ms,
                s.source,
            ]
            for s in r.trajectory
        ]
    row["a"] = [_assertion(a, budget) for a in r.assertions]


def _assertion(a: AssertionResult, budget: _Budget) -> list[Any]:
    out = [
        a.type,
        a.passed,
        a.score,
        clip(a.reason, budget),
        clip(as_text(a.details), budget) if a.details else None,
        a.metric,
        a.weight,
        a.status,
    ]
    if a.turn is not None:
        out.append(a.turn)  # only conversations carry it: most rows stay 8 long
    return out


def _call(name: Any, args: Any, raw: Any, call_id: Any, budget: _Budget) -> list[Any]:
    """``[name, arguments JSON, raw argument text, id]``; trailing empties dropped."""
    out = [str(name or ""), clip(as_text(args), budget), clip(raw, budget), str(call_id or "")]
    while out and out[-1] in (None, ""):
        out.pop()
    return out


def _message(m: Mapping[str, Any], budget: _Budget, texts: _Texts) -> list[Any]:
    """``[role, text index, tool calls?, tool_call_id?]`` (the optional part only when
    set: a plain prompt's messages stay two long)."""
    content = m.get("content")
    text = content if isinstance(content, str) else (as_text(content) or "")
    out: list[Any] = [str(m.get("role", "")), texts.ref(text, budget)]
    calls = m.get("tool_calls") or ()
    call_id = m.get("tool_call_id")
    if calls or call_id is not None:
        out.append(
            [
                _call(
                    c.get("name"), c.get("arguments"), c.get("raw_arguments"), c.get("id"), budget
                )
                for c in calls
                if isinstance(c, Mapping)
            ]
        )
    if call_id is not None:
        out.append(str(call_id))
    return out


def _removed_row(c: Mapping[str, Any], budget: _Budget) -> dict[str, Any]:
    """A case only the baseline has: no candidate result, shown for completeness."""
    suite, case_id = str(c.get("suite", "")), str(c.get("case_id", ""))
    model, prompt = str(c.get("model", "")), str(c.get("prompt", ""))
    row: dict[str, Any] = {
        "k": f"{suite}/{case_id}/{model}/{prompt}/removed",
        "s": suite,
        "c": case_id,
        "m": model,
        "p": prompt,
        "r": 0,
        "st": "removed",
        "sc": None,
        "t": [],
        "a": [],
        "ch": c.get("change", "removed"),
        "bst": c.get("base_status"),
        "bsc": c.get("base_score"),
        "cr": bool(c.get("critical")),
    }
    if c.get("base_output") is not None:
        row["bo"] = clip(str(c["base_output"]), budget)
    return row


def build_rows(results: Iterable[CaseResult], comparison: Mapping[str, Any] | None) -> Payload:
    """Rows for the page, in priority order."""
    results = list(results)
    cmp_index = index_comparison(comparison)
    keys = make_keys(results)
    budget = _Budget(EXTRA_BUDGET)
    texts = _Texts([], {})
    ranked = sorted(
        range(len(results)),
        key=lambda i: (
            row_rank(results[i].status, cmp_change(cmp_index, results[i])),
            results[i].suite,
            results[i].case_id,
        ),
    )
    first_key: dict[BaseKey, str] = {}
    rows = []
    for i in ranked:  # budget goes to the rows a reviewer reads first
        r = results[i]
        bk = (r.suite, r.case_id, r.model, r.prompt)
        rows.append(_row(r, keys[i], cmp_index.get(bk), budget, texts))
        first_key.setdefault(bk, keys[i])
    for bk, c in cmp_index.items():
        if bk not in first_key and c.get("change") == "removed":
            row = _removed_row(c, budget)
            rows.append(row)
            first_key[bk] = row["k"]
    return Payload(rows, first_key, texts.items)


def cmp_change(index: Mapping[BaseKey, Mapping[str, Any]], r: CaseResult) -> str | None:
    c = index.get((r.suite, r.case_id, r.model, r.prompt))
    return c.get("change") if c else None
