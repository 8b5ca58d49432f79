"""Common one-line JavaScript assertions -> native llmeval assertions.

A small, strict set of patterns; whatever does not match one exactly stays
untranslated (the caller reports it). Recognised, each optionally negated with ``!``
and joined with ``&&`` (all must hold) or, for substring checks, ``||``:

- ``output.includes('s')``, ``output.toLowerCase().includes('s')`` (``s`` in lower case)
- ``output.includes(context.vars.x)`` (the case's var, through a templated value)
- ``output.startsWith('s')``, ``output.endsWith('s')``
- ``output.length < N`` (``<=``, ``>``, ``>=``, ``===``): a regex on the length. JS
  counts UTF-16 units, Python code points: they differ only for characters outside
  the BMP (emoji).
- ``/re/flags.test(output)`` (flags ``i``, ``m``, ``s``, ``g``), ``output === 's'``
- ``JSON.parse(output).a.b === 'x'`` (``==``, ``!==``, strings, numbers, booleans,
  null) and ``JSON.parse(output).list.includes('x')``: ``is-json`` with a JSON schema.
"""

from __future__ import annotations

import json
import re
from typing import Any

_STR = r"""(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")"""
_NUM = r"-?\d+(?:\.\d+)?"
_LIT = rf"(?:{_STR}|({_NUM})|(true|false|null))"
_PATH = r"((?:\.[A-Za-z_$][\w$]*|\[\s*(?:'[^'\\]*'|\"[^\"\\]*\")\s*\])+)"

_INCLUDES = re.compile(rf"output(\.toLowerCase\(\))?\.includes\(\s*{_STR}\s*\)")
_INCLUDES_VAR = re.compile(r"output\.includes\(\s*context\.vars\.([A-Za-z_]\w*)\s*\)")
_STARTS = re.compile(rf"output\.startsWith\(\s*{_STR}\s*\)")
_ENDS = re.compile(rf"output\.endsWith\(\s*{_STR}\s*\)")
_LENGTH = re.compile(r"output\.length\s*(<=|>=|<|>|===|==)\s*(\d+)")
_REGEX = re.compile(r"/((?:[^/\\\n]|\\.)+)/([a-z]*)\.test\(\s*output\s*\)")
_EQUALS = re.compile(rf"output\s*===?\s*{_STR}")
_JSON_CMP = re.compile(rf"JSON\.parse\(\s*output\s*\){_PATH}\s*(===|==|!==|!=)\s*{_LIT}")
_JSON_HAS = re.compile(rf"JSON\.parse\(\s*output\s*\){_PATH}\.includes\(\s*{_LIT}\s*\)")


def translate(code: Any) -> list[dict[str, Any]] | None:
    """Native assertions equivalent to ``code`` (all must pass), or None."""
    if not isinstance(code, str):
        return None
    expr = _strip(code)
    if expr is None:
        return None
    try:
        return _translate(expr)
    except _Untranslatable:
        return None


def _translate(expr: str) -> list[dict[str, Any]] | None:
    if "||" in expr:
        return _any_of(expr)
    parts = _split(expr, "&&")
    out: list[dict[str, Any]] = []
    schemas: list[dict[str, Any]] = []
    for part in parts:
        got = _one(part)
        if got is None:
            return None
        if got.get("type") == "is-json" and isinstance(got.get("value"), dict):
            schemas.append(got["value"])
        else:
            out.append(got)
    if schemas:  # one JSON check: the output parses once, every field is checked on it
        schema = schemas[0] if len(schemas) == 1 else {"allOf": schemas}
        out.append({"type": "is-json", "value": schema})
    return out


def _strip(code: str) -> str | None:
    expr = code.strip()
    if "\n" in expr.strip().rstrip(";"):
        return None
    expr = expr.rstrip(";").strip()
    if expr.startswith("return "):
        expr = expr[len("return ") :].strip()
    while expr.startswith("(") and expr.endswith(")") and _balanced(expr[1:-1]):
        expr = expr[1:-1].strip()
    return expr or None


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _split(expr: str, op: str) -> list[str]:
    return [p.strip() for p in expr.split(op)]


def _any_of(expr: str) -> list[dict[str, Any]] | None:
    if "&&" in expr:
        return None
    values, kinds = [], set()
    for part in _split(expr, "||"):
        m = _INCLUDES.fullmatch(part)
        if m is None:
            return None
        lower, s = m.group(1), _unquote(m, 1)
        if lower and s != s.lower():
            return None
        kinds.add(bool(lower))
        values.append(s)
    if len(kinds) != 1:
        return None
    return [{"type": "icontains-any" if kinds.pop() else "contains-any", "value": values}]


class _Untranslatable(Exception):
    """A string literal with an escape other than \\' \\" \\\\ (kept strict)."""


def _unescape(raw: str) -> str:
    if re.search(r"\\[^'\"\\]", raw):
        raise _Untranslatable(raw)
    return re.sub(r"\\(.)", r"\1", raw)


def _unquote(m: re.Match[str], first: int = 0) -> str:
    raw = next((g for g in m.groups()[first:] if g is not None), "")
    return _unescape(raw)


def _one(part: str) -> dict[str, Any] | None:
    neg = part.startswith("!") and not part.startswith("!=")
    body = part[1:].strip() if neg else part
    got = _positive(body)
    if got is None:
        return None
    if neg:
        if got["type"] == "is-json":
            return None  # "not JSON or not equal" is not what a JSON check says
        got["type"] = "not-" + got["type"]
    return got


def _positive(p: str) -> dict[str, Any] | None:
    if m := _INCLUDES.fullmatch(p):
        s = _unquote(m, 1)
        if m.group(1):
            return {"type": "icontains", "value": s} if s == s.lower() else None
        return {"type": "contains", "value": s}
    if m := _INCLUDES_VAR.fullmatch(p):
        return {"type": "contains", "value": "{{ " + m.group(1) + " }}"}
    if m := _STARTS.fullmatch(p):
        return {"type": "starts-with", "value": _unquote(m)}
    if m := _ENDS.fullmatch(p):
        return {"type": "regex", "value": re.escape(_unquote(m)) + r"\Z"}
    if m := _LENGTH.fullmatch(p):
        op, n = m.group(1), int(m.group(2))
        rng = {
            "<": f"{{0,{n - 1}}}" if n > 0 else None,
            "<=": f"{{0,{n}}}",
            ">": f"{{{n + 1},}}",
            ">=": f"{{{n},}}",
            "===": f"{{{n}}}",
            "==": f"{{{n}}}",
        }[op]
        return None if rng is None else {"type": "regex", "value": r"\A[\s\S]" + rng + r"\Z"}
    if m := _REGEX.fullmatch(p):
        pattern, flags = m.group(1), m.group(2)
        if set(flags) - set("imsg"):
            return None
        inline = "".join(sorted(set(flags) - {"g"}))
        value = (f"(?{inline})" if inline else "") + pattern
        try:
            re.compile(value)
        except re.error:
            return None
        return {"type": "regex", "value": value}
    if m := _EQUALS.fullmatch(p):
        return {"type": "equals", "value": _unquote(m)}
    if m := _JSON_CMP.fullmatch(p):
        path, op = _path(m.group(1)), m.group(2)
        lit = _literal(m, 2)
        if path is None or lit is _NO or (op in ("==", "!=") and not isinstance(lit, str)):
            return None  # loose equality with non-strings coerces types in JS
        cond: dict[str, Any] = {"const": lit}
        return {"type": "is-json", "value": _nest(path, cond if "!" not in op else {"not": cond})}
    if m := _JSON_HAS.fullmatch(p):
        path, lit = _path(m.group(1)), _literal(m, 1)
        if path is None or lit is _NO:
            return None
        has: dict[str, Any] = {"type": "array", "contains": {"const": lit}}
        if isinstance(lit, str):
            has = {"anyOf": [has, {"type": "string", "pattern": re.escape(lit)}]}
        return {"type": "is-json", "value": _nest(path, has)}
    return None


_NO = object()


def _literal(m: re.Match[str], start: int) -> Any:
    sq, dq, num, word = m.groups()[start : start + 4]
    if sq is not None or dq is not None:
        return _unescape(sq if sq is not None else dq)
    if num is not None:
        return json.loads(num)
    if word is not None:
        return json.loads(word)
    return _NO


def _path(text: str) -> list[str] | None:
    keys = re.findall(r"\.([A-Za-z_$][\w$]*)|\[\s*['\"]([^'\"]*)['\"]\s*\]", text)
    out = [a or b for a, b in keys]
    if "length" in out:
        return None  # .length of a string or array is not a field
    return out or None


def _nest(path: list[str], leaf: dict[str, Any]) -> dict[str, Any]:
    schema = leaf
    for key in reversed(path):
        schema = {"type": "object", "required": [key], "properties": {key: schema}}
    return schema
