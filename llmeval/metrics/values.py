"""Coercing assertion values the way promptfoo reads them.

Shared by the text, overlap and label metrics: JavaScript-style string conversion
(``String(1.0) == "1"``), promptfoo's comma-separated lists with CSV quoting, and
"the reference": the assertion's ``value`` if given, else the case's ``expected``.
"""

from __future__ import annotations

import math
from typing import Any

from llmeval.errors import ConfigError
from llmeval.metrics.base import ScoreContext


def js_str(v: Any) -> str:
    """``String(v)`` as JavaScript spells it, so YAML numbers compare as promptfoo's do."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v.is_integer() and abs(v) < 1e21:
            return str(int(v))
        return repr(v)
    if v is None:
        return "null"
    return str(v)


def scalar_value(name: str, value: Any) -> str:
    """A non-empty string or a number (promptfoo's ``contains`` family)."""
    ok = (isinstance(value, str) and value != "") or (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and math.isnan(value))
    )
    if not ok:
        raise ConfigError(f"'{name}' needs a string or number value")
    return js_str(value)


def string_value(name: str, value: Any) -> str:
    if not isinstance(value, str) or value == "":
        raise ConfigError(f"'{name}' needs a non-empty string value")
    return value


def list_value(name: str, value: Any) -> list[str]:
    """A YAML list, or a comma-separated string with CSV-style quoting."""
    if value is None or value == "" or value == []:
        raise ConfigError(f"'{name}' needs a value (a list, or a comma-separated string)")
    if isinstance(value, str):
        return parse_comma_separated(value)
    if isinstance(value, list | tuple):
        return [js_str(v) for v in value]
    raise ConfigError(f"'{name}' needs a list or a comma-separated string value")


def parse_comma_separated(value: str) -> list[str]:
    """promptfoo's parser: unquoted fields are trimmed and empty ones dropped;
    quoted fields keep commas, allow ``\\"``, ``\\\\`` and ``""`` escapes."""
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        while i < n and (value[i].isspace() or value[i] == ","):
            i += 1
        if i >= n:
            break
        if value[i] == '"':
            i, field = _quoted(value, i)
            out.append(field)
            while i < n and value[i].isspace():
                i += 1
            if i < n and value[i] != ",":
                raise ConfigError("expected a comma after a quoted field in the value")
        else:
            j = value.find(",", i)
            j = n if j < 0 else j
            out.append(value[i:j].strip())
            i = j
    return out


def _quoted(value: str, start: int) -> tuple[int, str]:
    i, n, buf = start + 1, len(value), []
    while i < n:
        c = value[i]
        if c == "\\" and i + 1 < n and value[i + 1] in '"\\':
            buf.append(value[i + 1])
            i += 2
        elif c == '"' and i + 1 < n and value[i + 1] == '"':
            buf.append('"')
            i += 2
        elif c == '"':
            return i + 1, "".join(buf)
        else:
            buf.append(c)
            i += 1
    raise ConfigError("unterminated quoted field in the value")


def optional_references(name: str, value: Any) -> tuple[str, ...] | None:
    """Plan-time check of a reference given as ``value`` (a string or a list of strings)."""
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"'{name}' value must be a reference string or a list of them")


class MissingReference(Exception):
    """Neither ``value`` nor the case's ``expected`` gives a reference."""


def references(fixed: tuple[str, ...] | None, ctx: ScoreContext) -> tuple[str, ...]:
    """The assertion's references, else the case's ``expected`` (a string or list)."""
    if fixed is not None:
        return fixed
    exp = ctx.case.expected
    if exp is None:
        raise MissingReference("no 'value' on the assertion and no 'expected' on the case")
    if isinstance(exp, list | tuple):
        return tuple(js_str(e) for e in exp)
    return (js_str(exp),)


def check_options(spec: Any, *allowed: str) -> dict[str, Any]:
    """The assertion's extra keys, rejecting any this metric does not understand."""
    unknown = sorted(set(spec.options) - set(allowed))
    if unknown:
        known = ", ".join(allowed) if allowed else "none"
        raise ConfigError(f"unknown option(s) {unknown} for '{spec.type}' (known: {known})")
    return dict(spec.options)
