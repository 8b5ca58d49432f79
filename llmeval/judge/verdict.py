"""Pure parsing of judge replies. Anything not clearly a verdict is ``None``: unscored.

A judge is asked for one JSON object. We tolerate a ```json fence or prose around a
single object, but never guess: two candidate objects, a missing verdict or a
wrongly typed field all give ``None``, so an odd reply is never a silent pass.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from llmeval.metrics.json import extract_json_objects

_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n?(.*?)```", re.DOTALL)
_TRUE = frozenset({"true", "pass", "passed", "yes"})
_FALSE = frozenset({"false", "fail", "failed", "no"})


@dataclass(frozen=True, slots=True)
class Verdict:
    passed: bool
    score: float  # in [0, 1]
    reason: str = ""
    raw: dict[str, Any] = field(default_factory=dict)  # the parsed object, for details


@dataclass(frozen=True, slots=True)
class PairwiseVerdict:
    winner: Literal["A", "B", "tie"]
    reason: str = ""


def parse_verdict(text: object) -> Verdict | None:
    """``{reason, pass, score}`` from a judge reply, or None if it is not one."""
    try:
        obj = _one_object(text)
        return None if obj is None else _verdict(obj)
    except Exception:  # a parser of untrusted text must never crash the scorer
        return None


def parse_pairwise(text: object) -> PairwiseVerdict | None:
    """``{winner: "A"|"B"|"tie", reason}`` from a judge reply, or None."""
    try:
        obj = _one_object(text)
        if obj is None:
            return None
        winner = obj.get("winner")
        if not isinstance(winner, str):
            return None
        w = winner.strip().lower()
        mapped = {"a": "A", "b": "B", "tie": "tie"}.get(w)
        if mapped is None:
            return None
        return PairwiseVerdict(winner=mapped, reason=_reason(obj))  # type: ignore[arg-type]
    except Exception:
        return None


def _one_object(reply: object) -> dict[str, Any] | None:
    if not isinstance(reply, str):
        return None
    text: str = reply
    fenced = _FENCE.findall(text)
    if len(fenced) == 1:
        text = fenced[0]
    elif len(fenced) > 1:
        return None
    try:  # the reply is exactly one JSON value: it must be the object
        whole = json.loads(text)
    except ValueError:
        found = extract_json_objects(text)  # prose around it: exactly one object, or nothing
        return found[0] if len(found) == 1 else None
    return whole if isinstance(whole, dict) else None


def _verdict(obj: dict[str, Any]) -> Verdict | None:
    passed = _as_bool(obj["pass"]) if "pass" in obj else _as_bool(obj.get("passed"))
    score = _as_score(obj.get("score"))
    if ("pass" in obj or "passed" in obj) and passed is None:
        return None  # present but not a boolean: do not guess
    if "score" in obj and obj["score"] is not None and score is None:
        return None
    if passed is None and score is None:
        return None
    if score is None:
        score = 1.0 if passed else 0.0
    if passed is None:
        passed = score >= 0.5
    return Verdict(passed=passed, score=score, reason=_reason(obj), raw=obj)


def _as_bool(v: object) -> bool | None:
    if isinstance(v, bool):
        return v
    if isinstance(v, str):
        s = v.strip().lower()
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    return None


def _as_score(v: object) -> float | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, str):
        try:
            v = float(v.strip())
        except ValueError:
            return None
    if not isinstance(v, int | float):
        return None
    f = float(v)
    if math.isnan(f):
        return None
    return min(1.0, max(0.0, f))


def _reason(obj: dict[str, Any]) -> str:
    r = obj.get("reason", obj.get("reasoning", ""))
    return r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
