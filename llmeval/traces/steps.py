"""A target's own account of what it did: ``{"output": ..., "trajectory": [...]}``.

Each item is a mapping: ``type`` (tool | model | message | span; default tool),
``name`` (or ``tool`` / ``tool_name``, or OpenAI's ``{"function": {"name", "arguments"}}``),
``arguments`` (or ``args`` / ``input``; a mapping or JSON text), ``output`` (or
``result``), ``error``, ``duration_ms``. Anything else is kept in ``attributes``.
"""

from __future__ import annotations

import json
from typing import Any

from llmeval.domain.trajectory import STEP_TYPES, TOOL, Step
from llmeval.errors import BadRequestError

_NAME_KEYS = ("name", "tool", "tool_name")
_ARG_KEYS = ("arguments", "args", "input")
_OUT_KEYS = ("output", "result")
_KNOWN = {
    "type",
    "function",
    "error",
    "duration_ms",
    "source",
    "attributes",
    *_NAME_KEYS,
    *_ARG_KEYS,
    *_OUT_KEYS,
}


def parse_arguments(value: Any) -> tuple[dict[str, Any] | None, Any]:
    """(arguments as a mapping or None, the raw value when it was not a mapping)."""
    if value is None:
        return None, None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None, None
        try:
            value = json.loads(text)
        except ValueError:
            return None, value
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}, None
    return None, value


def as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _one(item: Any, i: int, source: str) -> Step:
    if isinstance(item, str):  # a bare tool name
        return Step(type=TOOL, name=item, source=source)
    if not isinstance(item, dict):
        raise BadRequestError(
            f"trajectory step {i + 1} is a {type(item).__name__}; expected a mapping"
        )
    fn = item.get("function") if isinstance(item.get("function"), dict) else None
    base = fn or item
    name = next((base[k] for k in _NAME_KEYS if isinstance(base.get(k), str)), "")
    kind = str(item.get("type") or TOOL)
    if kind == "function":  # OpenAI's {"type": "function", "function": {...}}
        kind = TOOL
    if kind not in STEP_TYPES:
        raise BadRequestError(
            f"trajectory step {i + 1} has type '{kind}' (known: {', '.join(STEP_TYPES)})"
        )
    if not name:
        raise BadRequestError(f"trajectory step {i + 1} has no name")
    raw_args = next((base[k] for k in _ARG_KEYS if k in base), None)
    arguments, odd = parse_arguments(raw_args)
    attributes = (
        dict(item.get("attributes") or {}) if isinstance(item.get("attributes"), dict) else {}
    )
    attributes.update({k: v for k, v in item.items() if k not in _KNOWN})
    if odd is not None:
        attributes["arguments_raw"] = odd
    duration = item.get("duration_ms")
    return Step(
        type=kind,
        name=name,
        arguments=arguments,
        output=as_text(next((item[k] for k in _OUT_KEYS if k in item), None)),
        error=as_text(item.get("error")) or None,
        duration_ms=float(duration) if isinstance(duration, int | float) else None,
        source=source,
        attributes=attributes,
    )


def steps_from_target(value: Any, source: str = "target") -> tuple[Step, ...]:
    """Steps from a target's ``trajectory`` value; BadRequestError when it is malformed
    (a failed call of that case, like any other bad return value)."""
    if value is None:
        return ()
    if isinstance(value, dict) and isinstance(value.get("steps"), list):
        value = value["steps"]
    if not isinstance(value, list):
        raise BadRequestError(f"'trajectory' should be a list of steps, not {type(value).__name__}")
    return tuple(_one(item, i, source) for i, item in enumerate(value))
