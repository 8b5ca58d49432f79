"""Markdown summary for CI: ``$GITHUB_STEP_SUMMARY`` and a pull-request comment.

Order: gate verdict and reasons, regressions, new failures, flaky cases, totals. The
text stays under ``max_bytes`` (UTF-8) however large the run: long lists end with
"… and N more". Every piece of run data (model output, case ids, names, reasons) goes
through ``escape_md``, so it renders as plain text: no HTML, links, images, code,
tables, math, @mentions, #issue references or autolinked URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llmeval.analysis.cases import aggregate
from llmeval.analysis.comparison import CaseRow, Comparison
from llmeval.analysis.gate import Verdict
from llmeval.analysis.summarize import GroupSummary, RunSummary

if TYPE_CHECKING:
    from llmeval.domain.record import CaseResult

ZWSP = "\u200b"
# Control characters, and bidi overrides/isolates that could reorder what a reviewer sees.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+")
_SPACES = re.compile(r"\s+")
_BACKSLASHED = set("\\`*_[](){}!|~$")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
_AUTOLINKS = re.compile(r"(?i)(://|www\.|gh-(?=\d))")
_MAX_REASONS = 50
_MAX_TABLE_ROWS = 200
_SNIPPET = 160


def escape_md(text: Any, limit: int = 300) -> str:
    """One line of inert markdown text, at most ``limit`` source characters."""
    s = _SPACES.sub(" ", _INVISIBLE.sub(" ", "" if text is None else str(text))).strip()
    if len(s) > limit:
        s = s[:limit].rstrip() + "…"
    # Break autolinks and GitHub references with a zero-width space: escaping alone
    # does not help, GitHub links mentions and refs in the rendered text.
    s = _AUTOLINKS.sub(lambda m: m.group(0)[:-1] + ZWSP + m.group(0)[-1], s)
    out = []
    for i, ch in enumerate(s):
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in _BACKSLASHED:
            out.append("\\" + ch)
        elif ch == "#" or (ch == "@" and not (i and s[i - 1].isalnum())):
            # a mention needs a non-word char before the @; `support@v2` and e-mail
            # addresses stay as written. Every # is broken: owner/repo#1 links too.
            out.append(ch + ZWSP)
        else:
            out.append(ch)
    return "".join(out)


def _size(lines: Iterable[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def _bounded(
    header: list[str], rows: Sequence[str], budget: int, more: str = "… and {n} more"
) -> list[str]:
    """Header and as many rows as fit in ``budget`` bytes, then an "and N more" line."""
    out = list(header)
    used = _size(out) + 64  # room for the "and N more" line
    for i, row in enumerate(rows):
        cost = len(row.encode("utf-8")) + 1
        if used + cost > budget:
            out.append("")
            out.append(more.format(n=len(rows) - i))
            return out
        out.append(row)
        used += cost
    return out


def _status(s: str | None) -> str:
    return "—" if s is None else escape_md(s, 20)


def _case_row(c: CaseRow) -> str:
    name = escape_md(f"{c.suite}/{c.case_id}", 120)
    if c.critical:
        name = f"**critical** {name}"
    return (
        f"| {name} | {escape_md(c.model, 60)} | {escape_md(c.prompt, 60)} | "
        f"{_status(c.base_status)} → {_status(c.cand_status)} | "
        f"{escape_md(c.cand_output, _SNIPPET)} |"
    )


_CASE_HEADER = [
    "| case | model | prompt | base → cand | output |",
    "| --- | --- | --- | --- | --- |",
]


_HEADINGS = {
    "passed": "## llmeval: ✅ gate passed",
    "failed": "## llmeval: ❌ gate failed",
    "incomplete": "## llmeval: ⚠️ incomplete",
    "interrupted": "## llmeval: ⏸️ interrupted",
}


def _verdict(comparison: Comparison | None, gate: Verdict | None) -> list[str]:
    lines = [_HEADINGS[gate.status] if gate else "## llmeval: no gate decision", ""]
    if comparison is not None:
        lines += [
            f"Candidate {escape_md(comparison.cand.label, 120)} against "
            f"{escape_md(comparison.base.label, 120)}.",
            "",
        ]
    reasons = [r.message for r in gate.reasons] if gate else []
    notes = list(gate.notes) if gate else []
    for r in reasons[:_MAX_REASONS]:
        lines.append(f"- {escape_md(r, 400)}")
    if len(reasons) > _MAX_REASONS:
        lines.append(f"- … and {len(reasons) - _MAX_REASONS} more")
    if notes:
        lines += ["", "**Notes:**", ""]
        lines += [f"- {escape_md(n, 400)}" for n in notes[:_MAX_REASONS]]
        if len(notes) > _MAX_REASONS:
            lines.append(f"- … and {len(notes) - _MAX_REASONS} more")
    if comparison is not None and comparison.changes:
        lines += ["", "**Inputs changed:**", ""]
        lines += [f"- {escape_md(c, 300)}" for c in comparison.changes[:_MAX_REASONS]]
        if len(comparison.changes) > _MAX_REASONS:
            lines.append(f"- … and {len(comparison.changes) - _MAX_REASONS} more")
    return [*lines, ""]


def _groups(summary: Any) -> list[GroupSummary]:
    if summary is None:
        return []
    if isinstance(summary, RunSummary):
        return list(summary.groups)
    if isinstance(summary, Mapping):
        summary = summary.get("groups") or ()
    return [g if isinstance(g, GroupSummary) else GroupSummary.from_json(g) for g in summary]


def _totals(summary: Any, comparison: Comparison | None) -> list[str]:
    lines: list[str] = []
    groups = _groups(summary)
    if groups:
        rows = []
        for g in groups:
            rate = g.pass_rate
            floor = "—" if g.min_pass_rate is None else f"{100 * g.min_pass_rate:.1f}%"
            rows.append(
                f"| {escape_md(g.suite, 80)} | {escape_md(g.model, 60)} | "
                f"{escape_md(g.prompt, 60)} | {g.n} | {g.passed} | {g.failed} | {g.errors} | "
                f"{g.skipped} | {'—' if rate is None else f'{100 * rate:.1f}%'} | {floor} |"
            )
        head = [
            "### Totals",
            "",
            "| suite | model | prompt | n | passed | failed | errors | skipped | pass rate | min |",
            "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += head + rows[:_MAX_TABLE_ROWS]
        if len(rows) > _MAX_TABLE_ROWS:
            lines += ["", f"… and {len(rows) - _MAX_TABLE_ROWS} more"]
        lines.append("")
        lines += _derived(groups)
    if comparison is not None and comparison.metrics:
        ms = sorted(comparison.metrics, key=lambda m: (not m.significant, m.delta))
        lines += [
            "### Metrics (candidate − base)",
            "",
            "| suite | model | prompt | metric | n | base | cand | Δ | 95% CI | p (Holm) |",
            "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- | ---: |",
        ]
        for m in ms[:_MAX_TABLE_ROWS]:
            sig = " \\*" if m.significant else ""
            lines.append(
                f"| {escape_md(m.suite, 80)} | {escape_md(m.model, 60)} | "
                f"{escape_md(m.prompt, 60)} | {escape_md(m.metric, 60)} | {m.n} | "
                f"{m.base_mean:.3f} | {m.cand_mean:.3f} | {m.delta:+.3f}{sig} | "
                f"[{m.ci_low:+.3f}, {m.ci_high:+.3f}] | {m.p_adjusted:.3g} |"
            )
        if len(ms) > _MAX_TABLE_ROWS:
            lines += ["", f"… and {len(ms) - _MAX_TABLE_ROWS} more"]
        lines.append("")
    return lines


def _derived(groups: list[GroupSummary]) -> list[str]:
    """The suites' derived_metrics per group (computed by ``analysis.derived``, shown
    as the console shows them: 4 significant digits, – when a value is undefined)."""
    rows = [
        f"| {escape_md(g.suite, 80)} | {escape_md(g.model, 60)} | {escape_md(g.prompt, 60)} | "
        f"{escape_md(name, 60)} | {'–' if v is None else format(v, '.4g')} |"
        for g in groups
        for name, v in (g.derived or {}).items()
    ]
    if not rows:
        return []
    head = [
        "### Derived metrics",
        "",
        "| suite | model | prompt | metric | value |",
        "| --- | --- | --- | --- | ---: |",
    ]
    more = [f"… and {len(rows) - _MAX_TABLE_ROWS} more"] if len(rows) > _MAX_TABLE_ROWS else []
    return [*head, *rows[:_MAX_TABLE_ROWS], *(["", *more] if more else []), ""]


def _failures_without_baseline(results: Sequence[CaseResult]) -> list[str]:
    rows = []
    for agg in aggregate(results).values():
        if agg.status in ("fail", "error", "flaky"):
            rows.append(
                f"| {escape_md(f'{agg.suite}/{agg.case_id}', 120)} | {escape_md(agg.model, 60)} | "
                f"{escape_md(agg.prompt, 60)} | {escape_md(agg.status, 20)} | "
                f"{escape_md(agg.output, _SNIPPET)} |"
            )
    return rows


def _failures_from_summary(groups: list[GroupSummary]) -> list[str]:
    """Failing case ids from summary groups (no outputs there)."""
    rows = []
    for g in groups:
        for status, ids in (("error", g.error_cases), ("fail", g.failed_cases)):
            for case_id in ids:
                rows.append(
                    f"| {escape_md(f'{g.suite}/{case_id}', 120)} | {escape_md(g.model, 60)} | "
                    f"{escape_md(g.prompt, 60)} | {status} |  |"
                )
    return rows


def render_markdown(
    comparison: Comparison | Mapping[str, Any] | None,
    summary: Any,
    gate: Verdict | None,
    max_bytes: int = 1_000_000,
    *,
    results: Sequence[CaseResult] | None = None,
) -> str:
    """The CI summary.

    ``comparison`` may be the object or its JSON dict; ``gate`` is the verdict; ``summary``:
    summary groups, or a mapping/object with ``groups``. Without a comparison the
    failures come from ``results`` when given (with outputs), else from the summary
    groups' ``failed_cases`` / ``error_cases``.
    """
    if isinstance(comparison, Mapping):  # the to_json() form
        comparison = Comparison.from_json(comparison)
    head = _verdict(comparison, gate)
    tail = _totals(summary, comparison)
    budget = max_bytes - _size(head) - _size(tail) - 256
    body: list[str] = []
    if comparison is not None:
        regressed = sorted(comparison.by_change("regressed"), key=lambda c: not c.critical)
        # failing now and not before: new cases, pass -> error, skipped/error -> fail
        new_fail = [
            c
            for c in comparison.cases
            if c.change not in ("regressed", "flaky")
            and c.cand_status in ("fail", "error")
            and c.base_status not in ("fail", c.cand_status)
        ]
        flaky = comparison.by_change("flaky")
        sections = [
            (f"### Regressions ({len(regressed)})", regressed, 0.6),
            (f"### New failures ({len(new_fail)})", new_fail, 0.8),
            (f"### Flaky, not gating ({len(flaky)})", flaky, 1.0),
        ]
        for title, cases, share in sections:
            if not cases:
                continue
            part = _bounded(
                [title, "", *_CASE_HEADER], [_case_row(c) for c in cases], int(budget * share)
            )
            body += [*part, ""]
            budget -= _size(part) + 1
    else:
        rows = (
            _failures_without_baseline(results)
            if results is not None
            else _failures_from_summary(_groups(summary))
        )
        if rows:
            header = [
                f"### Failures ({len(rows)})",
                "",
                "| case | model | prompt | status | output |",
                _CASE_HEADER[1],
            ]
            body += [*_bounded(header, rows, budget), ""]
    text = "\n".join(head + body + tail).rstrip("\n") + "\n"
    return _hard_limit(text, max_bytes)


def _hard_limit(text: str, max_bytes: int) -> str:
    """Last resort (a tiny max_bytes): cut at a line boundary."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    note = "\n… (truncated)\n"
    room = max_bytes - len(note.encode("utf-8"))
    if room <= 0:
        return ""
    cut = data[:room].decode("utf-8", "ignore")
    cut = cut[: cut.rfind("\n")] if "\n" in cut else ""
    return cut + note
