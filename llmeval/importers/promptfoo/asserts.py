"""promptfoo assertions -> llmeval assertions.

Names and semantics are promptfoo's in llmeval, so most assertions are copied as they
are (``type``, ``value``, ``threshold``, ``weight``, ``metric``). Beyond that:

- ``$ref: '#/assertionTemplates/x'`` is resolved;
- ``javascript`` one-liners that ``js`` recognises become native assertions; other
  JavaScript is kept as ``javascript`` when llmeval has that type, else reported; a
  ``file://`` script is written inline (``jsfile``) when the sandbox can run it;
- inline ``python`` code is written to ``scorers/inline_<hash>.py`` (a ``get_assert``
  returning the expression, or running the body, as promptfoo does); ``file://`` python
  scorers are referenced as they are;
- a judge's ``provider`` becomes a model alias; an inline ``transform`` is kept (a
  ``file://`` one is reported); ``rubricPrompt`` and any other option are reported;
- a type llmeval does not have (yet) is reported and left out.
"""

from __future__ import annotations

import hashlib
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmeval.importers.promptfoo import js
from llmeval.importers.promptfoo.notes import Notes, Where

_COMMON = ("type", "value", "threshold", "weight", "metric")


@dataclass(slots=True)
class AssertContext:
    notes: Notes
    templates: dict[str, Any]
    provider_alias: Callable[[Any, Where], str]  # a judge provider -> model alias
    known: frozenset[str]  # llmeval's assertion types
    judge_types: frozenset[str]
    scorers: dict[str, str] = field(default_factory=dict)  # project path -> source
    python_files: list[str] = field(default_factory=list)  # referenced, to copy
    base: Path | None = None  # the config's folder (javascript files are read from it)


def translate_all(raw: Any, where: Where, ctx: AssertContext) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        ctx.notes.add(where, f"'assert' should be a list, got {type(raw).__name__}")
        return []
    out: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        at = where.at(raw, i)
        out += translate(item, at, ctx)
    return out


def translate(item: Any, at: Where, ctx: AssertContext) -> list[dict[str, Any]]:
    """Zero or more llmeval assertions for one promptfoo assertion."""
    if isinstance(item, dict) and "$ref" in item:
        ref = item["$ref"]
        name = ref.removeprefix("#/assertionTemplates/") if isinstance(ref, str) else None
        if name is None or name == ref or name not in ctx.templates:
            ctx.notes.add(at, f"$ref {ref!r} (only #/assertionTemplates/<name> is resolved)")
            return []
        item = {**ctx.templates[name], **{k: v for k, v in item.items() if k != "$ref"}}
    if not isinstance(item, dict) or not isinstance(item.get("type"), str):
        ctx.notes.add(at, f"assertion {item!r} (it needs a 'type')")
        return []
    full = item["type"].strip()
    negate = full.startswith("not-")
    base = full[4:] if negate else full
    renamed = _renamed(base)
    if base not in ctx.known and renamed in ctx.known:
        base = renamed
    out = {k: item[k] for k in _COMMON if k in item and item[k] is not None}
    out["type"] = ("not-" if negate else "") + base
    for key in item:
        if key in _COMMON:
            continue
        if key == "provider" and base in ctx.judge_types:
            out["provider"] = ctx.provider_alias(item[key], at.at(item, key))
        elif key == "transform":
            if not keep_transform(item[key], at.at(item, key), ctx.notes):
                return []
            out["transform"] = item[key]
        elif key == "assert" and base == "assert-set":
            continue
        else:
            ctx.notes.add(at.at(item, key), f"option '{key}' of a '{full}' assertion")
    if base == "javascript":
        return _javascript(out, negate, at, ctx)
    if base == "python":
        return _python(out, at, ctx)
    if base == "assert-set" and "assert-set" in ctx.known:
        out["assert"] = translate_all(item.get("assert"), at.at(item, "assert"), ctx)
    if base not in ctx.known:
        ctx.notes.add(at, f"assertion type '{full}' ({_unknown(base, ctx.known)})")
        return []
    return [out]


def _renamed(name: str) -> str | None:
    """llmeval's name for a promptfoo type it has under another name (the one table)."""
    from llmeval.metrics.promptfoo_names import PROMPTFOO

    entry = PROMPTFOO.get(name)
    return entry.llmeval if entry is not None and entry.status == "renamed" else None


def _unknown(name: str, known: frozenset[str]) -> str:
    """Why a type is left out: the table's word on promptfoo's types (unsupported,
    with the alternative), else the closest llmeval type, as ``llmeval validate``."""
    import difflib

    from llmeval.metrics.promptfoo_names import PROMPTFOO, suggestion

    hint = suggestion(name)
    if hint is not None:
        return hint
    if name in PROMPTFOO:
        return "not in this llmeval"
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
    return f"unknown type; did you mean '{close[0]}'?" if close else "unknown type"


def keep_transform(code: Any, at: Where, notes: Notes) -> bool:
    """An inline JavaScript transform is kept (llmeval runs it the same way); a script
    file or anything else is reported."""
    if isinstance(code, str) and code.strip() and not code.strip().startswith("file://"):
        return True
    shown = code.strip().splitlines()[0] if isinstance(code, str) and code.strip() else code
    notes.add(at, f"transform {shown!r} (only inline JavaScript is kept)")
    return False


def _javascript(out: dict[str, Any], negate: bool, at: Where, ctx: AssertContext) -> list[Any]:
    code = out.get("value")
    native = None if negate or "transform" in out else js.translate(code)
    # several native checks stand for one only when no weight/metric/threshold is counted
    if native is not None and (len(native) == 1 or set(out) <= {"type", "value"}):
        extra = {k: v for k, v in out.items() if k not in ("type", "value")}
        return [{**n, **extra} for n in native]
    is_file = isinstance(code, str) and code.strip().startswith("file://")
    if "javascript" in ctx.known and not is_file:
        return [out]
    if "javascript" in ctx.known and ctx.base is not None and isinstance(code, str):
        from llmeval.importers.promptfoo.jsfile import inline_file

        body, why = inline_file(code.strip(), ctx.base)
        if body is not None:
            return [{**out, "value": body}]  # the file's code, inline
        ctx.notes.add(at, str(why))
        return []
    one_line = code.strip().splitlines()[0] if isinstance(code, str) and code.strip() else code
    ctx.notes.add(at, f"javascript assertion: {one_line!r}")
    return []


def _python(out: dict[str, Any], at: Where, ctx: AssertContext) -> list[Any]:
    code = out.get("value")
    if not isinstance(code, str) or not code.strip():
        ctx.notes.add(at, "python assertion without code")
        return []
    target = code.strip()
    if target.startswith("file://"):
        target = target[len("file://") :]
    if target.split(":")[0].endswith(".py") and "\n" not in target:
        ctx.python_files.append(target.split(":")[0])
        return [{**out, "value": target}]
    source = _scorer_source(code)
    digest = hashlib.sha256(source.encode()).hexdigest()[:10]
    path = f"scorers/inline_{digest}.py"
    ctx.scorers[path] = source
    return [{**out, "value": f"{path}:get_assert"}]


def _scorer_source(code: str) -> str:
    """promptfoo's rule: one line is an expression returned; several are a function body."""
    body = code.strip("\n")
    if "\n" not in body.strip():
        body = f"return {body.strip()}"
    return (
        '"""Written by `llmeval import promptfoo` from an inline python assertion."""\n\n\n'
        "def get_assert(output, context):\n" + textwrap.indent(textwrap.dedent(body), "    ") + "\n"
    )
