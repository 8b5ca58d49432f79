"""``LABELS.jsonl``: human-labelled examples for judge calibration.

One JSON object per line::

    {"output": "...", "rubric": "...", "expected": ..., "vars": {...}, "label": "pass"}

with ``"assert": {"type": "factuality", ...}`` instead of ``rubric`` for any other
assertion, and ``label`` one of pass / fail / true / false. Every bad line is reported
at once, as ``file:line: message``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmeval.domain.location import Location
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError, ConfigErrors, UsageError

_LABELS = {"pass": True, "fail": False, "true": True, "false": False}


@dataclass(frozen=True, slots=True)
class LabelledExample:
    output: str
    label: bool  # the human verdict: True = pass
    rubric: Any = None  # text, list or mapping of criteria (an llm-rubric)
    assertion: dict[str, Any] | None = None  # any assertion, as written in a suite
    expected: Any = None
    vars: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None


def parse_labels(text: str, source: str) -> list[LabelledExample]:
    """Examples from LABELS.jsonl text; every bad line reported at once (ConfigErrors)."""
    examples: list[LabelledExample] = []
    errors: list[ConfigError] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        loc = Location(source, n)
        try:
            examples.append(_example(line, loc))
        except ConfigError as e:
            e.location = loc
            errors.append(e)
    if errors:
        raise ConfigErrors(errors)
    if not examples:
        raise ConfigError("no labelled examples in the file", Location(source, 1))
    return examples


def _example(line: str, loc: Location) -> LabelledExample:
    try:
        d = json.loads(line)
    except json.JSONDecodeError as e:
        raise ConfigError(f"not valid JSON: {e.msg} (column {e.colno})") from None
    if not isinstance(d, dict):
        raise ConfigError("each line must be a JSON object")
    if not isinstance(d.get("output"), str):
        raise ConfigError("'output' must be a string")
    raw_label = d.get("label")
    key = raw_label.strip().lower() if isinstance(raw_label, str) else raw_label
    if isinstance(key, bool):
        label = key
    elif key in _LABELS:
        label = _LABELS[key]
    else:
        raise ConfigError(f"'label' must be pass, fail, true or false, not {raw_label!r}")
    has_rubric, has_assert = d.get("rubric") is not None, d.get("assert") is not None
    if has_rubric == has_assert:
        raise ConfigError("give exactly one of 'rubric' or 'assert'")
    if has_assert and not (
        isinstance(d["assert"], dict) and isinstance(d["assert"].get("type"), str)
    ):
        raise ConfigError("'assert' must be an object with a 'type'")
    if not isinstance(d.get("vars", {}), dict):
        raise ConfigError("'vars' must be an object")
    return LabelledExample(
        output=d["output"],
        label=label,
        rubric=d.get("rubric"),
        assertion=d.get("assert"),
        expected=d.get("expected"),
        vars=dict(d.get("vars") or {}),
        location=loc,
    )


def load_labels(path: str | Path) -> list[LabelledExample]:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot read {p}: {e.strerror or e}") from None
    return parse_labels(text, str(path))


def assertion_of(ex: LabelledExample) -> AssertionSpec:
    """The assertion an example is graded with (an llm-rubric for a bare rubric)."""
    if ex.assertion is None:
        return AssertionSpec(type="llm-rubric", value=ex.rubric, location=ex.location)
    a = dict(ex.assertion)
    t: str = a.pop("type")
    negate = t.startswith("not-")
    threshold = a.pop("threshold", None)
    a.pop("weight", None), a.pop("metric", None)  # irrelevant to one verdict
    if threshold is not None and (
        isinstance(threshold, bool) or not isinstance(threshold, int | float)
    ):
        raise ConfigError("'threshold' must be a number", ex.location)
    return AssertionSpec(
        type=t[4:] if negate else t,
        value=a.pop("value", None),
        negate=negate,
        threshold=float(threshold) if threshold is not None else None,
        options=a,
        location=ex.location,
    )
