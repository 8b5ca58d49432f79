"""promptfoo's CSV conventions: ``__expected`` strings and the other special columns.

A dataset row (or a promptfoo test file row) may carry, besides its vars:

- ``__expected``, ``__expected1`` .. ``__expectedN``: one assertion each, written as a
  string: ``contains: foo``, ``not-icontains:bar``, ``similar(0.8): hi``,
  ``javascript: output.length < 9`` (also ``fn:`` / ``eval:``), ``grade:`` /
  ``llm-rubric:``, ``python: <expr>`` or ``file://check.py``; anything else means
  ``equals``. Read as promptfoo's ``assertionFromString`` reads it, except that the
  value after ``type:`` is trimmed (``contains: foo`` looks for ``foo``).
- ``__threshold`` (the case's pass threshold), ``__description``, ``__metric`` (the
  metric name of every assertion of the row), ``__metadata:key`` (a tag ``key=value``)
  and ``__metadata:key[]`` (one tag ``key=item`` per comma-separated item, ``\\,``
  escapes a comma). llmeval filters cases by tag, so metadata becomes tags.
- ``__prefix`` / ``__suffix`` change the prompt text; they are reported, not applied.

Everything here is pure: the callers add file locations to the problems.
"""

from __future__ import annotations

import re
from typing import Any

# promptfoo's base assertion types (BaseAssertionTypesSchema), for parsing "type: value"
PROMPTFOO_TYPES = frozenset(
    [
        "answer-relevance",
        "assert-set",
        "bleu",
        "classifier",
        "contains",
        "contains-all",
        "contains-any",
        "contains-html",
        "contains-json",
        "contains-sql",
        "contains-xml",
        "context-faithfulness",
        "context-recall",
        "context-relevance",
        "conversation-relevance",
        "cost",
        "equals",
        "factuality",
        "finish-reason",
        "g-eval",
        "gleu",
        "guardrails",
        "human",
        "icontains",
        "icontains-all",
        "icontains-any",
        "is-html",
        "is-json",
        "is-refusal",
        "is-sql",
        "is-valid-function-call",
        "is-valid-openai-function-call",
        "is-valid-openai-tools-call",
        "is-xml",
        "javascript",
        "latency",
        "levenshtein",
        "llm-rubric",
        "max-score",
        "meteor",
        "model-graded-closedqa",
        "model-graded-factuality",
        "moderation",
        "perplexity",
        "perplexity-score",
        "pi",
        "python",
        "regex",
        "rouge-n",
        "ruby",
        "search-rubric",
        "select-best",
        "similar",
        "similar:cosine",
        "similar:dot",
        "similar:euclidean",
        "starts-with",
        "tool-call-f1",
        "trace-error-spans",
        "trace-span-count",
        "trace-span-duration",
        "webhook",
        "word-count",
    ]
)
_LIST_TYPES = ("contains-all", "contains-any", "icontains-all", "icontains-any")
_THRESHOLD_TYPES = [
    "answer-relevance",
    "classifier",
    "context-faithfulness",
    "context-recall",
    "context-relevance",
    "cost",
    "latency",
    "levenshtein",
    "perplexity-score",
    "perplexity",
    "rouge-n",
    "similar",
    "starts-with",
]
_TYPED = re.compile(
    r"^(not-)?("
    + "|".join(sorted(map(re.escape, PROMPTFOO_TYPES), key=len, reverse=True))
    + r")(?:\((\d+(?:\.\d+)?)\))?(?::([\s\S]*))?$"
)
SPECIAL_PREFIX = "__"


def assertion_from_string(text: str) -> dict[str, Any]:
    """One ``__expected`` cell as an assertion mapping (``type``, ``value``, ``threshold``)."""
    text = text.strip()
    for prefix in ("javascript:", "fn:", "eval:"):
        if text.startswith(prefix):
            return {"type": "javascript", "value": text[len(prefix) :].strip()}
    for prefix in ("grade:", "llm-rubric:"):
        if text.startswith(prefix):
            return {"type": "llm-rubric", "value": text[len(prefix) :].strip()}
    if text.startswith("python:"):
        return {"type": "python", "value": text[len("python:") :].strip()}
    if text.startswith("file://"):
        target = text[len("file://") :].strip()
        if target.endswith(".py") or ".py:" in target:
            return {"type": "python", "value": target}
        if re.search(r"\.(js|ts|cjs|mjs)(:|$)", target):
            return {"type": "javascript", "value": text}
    m = _TYPED.match(text)
    if m is None:
        return {"type": "equals", "value": text}
    negate, base, threshold, value = m.groups()
    out: dict[str, Any] = {"type": (negate or "") + base}
    value = value.strip() if value is not None else None
    if base in _LIST_TYPES:
        out["value"] = [v.strip() for v in (value or "").split(",")]
        return out
    if value:
        out["value"] = value
    if base in _THRESHOLD_TYPES:
        t = float(threshold) if threshold else 0.0
        out["threshold"] = t or (0.8 if base == "similar" else 0.75)
    elif threshold:
        out["threshold"] = float(threshold)
    return out


def is_expected_column(name: str) -> bool:
    return name == "__expected" or bool(re.fullmatch(r"__expected\d+", name))


def metadata_tags(column: str, cell: str) -> list[str]:
    """``__metadata:key`` -> ``[key=value]``; ``__metadata:key[]`` -> one tag per item."""
    key = column[len("__metadata:") :]
    if not cell.strip():
        return []
    if key.endswith("[]"):
        items = [p.strip().replace("\\,", ",") for p in re.split(r"(?<!\\),", cell)]
        return [f"{key[:-2]}={item}" for item in items if item]
    return [f"{key}={cell}"]


def split_special(row: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """A flat row -> (case fields, problems). Case fields: vars, assert, threshold,
    description, tags. Problems are messages for columns that are not applied."""
    vars: dict[str, Any] = {}
    asserts: list[dict[str, Any]] = []
    tags: list[str] = []
    case: dict[str, Any] = {}
    problems: list[str] = []
    metric = None
    for key, value in row.items():
        cell = "" if value is None else str(value)
        if not isinstance(key, str) or not key.startswith(SPECIAL_PREFIX):
            vars[key] = value
        elif is_expected_column(key):
            if cell.strip():
                asserts.append(assertion_from_string(cell))
        elif key == "__threshold":
            try:
                t = float(cell) if cell.strip() else None
            except ValueError:
                problems.append(f"column '__threshold' should be a number, got {cell!r}")
                t = None
            if t is not None:
                case["threshold"] = t
        elif key == "__description":
            if cell:
                case["description"] = cell
        elif key == "__metric":
            metric = cell or None
        elif key.startswith("__metadata:"):
            tags += metadata_tags(key, cell)
        elif key in ("__prefix", "__suffix"):
            if cell:
                problems.append(f"column '{key}' (text added to the prompt) is not supported")
        else:
            problems.append(f"unknown special column '{key}'")
    if metric:
        for a in asserts:
            a["metric"] = metric
    case["vars"] = vars
    if asserts:
        case["assert"] = asserts
    if tags:
        case["tags"] = tags
    return case, problems
