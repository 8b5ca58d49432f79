"""A ``javascript`` assertion kept in a file (``file://check.js``, ``file://check.ts:fn``)
-> the same code inline, as a function body llmeval's ``javascript`` metric runs.

promptfoo loads the module and calls its default export (or the function named after
the colon) with ``(output, context)``. The file's source is written into the
assertion, inside a CommonJS shim (``module.exports``; ``export default`` and
``export function`` are rewritten to it), and the chosen function is called. What the
sandbox cannot run is reported instead: ``import``/``require`` (no modules, files or
network there), ``async`` code, TypeScript syntax (promptfoo transpiles ``.ts``; a ``.ts`` file is
taken only when it is plain JavaScript), a file outside the config's folder.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

_SUFFIXES = (".js", ".cjs", ".mjs", ".ts", ".mts", ".cts")
_MODULES = re.compile(r"^\s*import\s|\brequire\s*\(", re.M)
# type annotations on parameters or returns, interfaces, type aliases, `as` casts, generics
_TYPESCRIPT = re.compile(
    r"\(\s*\w+\??\s*:\s*[\w{\[]|\)\s*:\s*[\w{\[<]|^\s*(?:export\s+)?(?:interface|type)\s+\w+"
    r"|\bas\s+(?:any|string|number|unknown|const)\b|<\w+(?:\[\])?>\s*\(",
    re.M,
)
_EXPORT_DEFAULT = re.compile(r"^(\s*)export\s+default\s+", re.M)
_EXPORT_FUNCTION = re.compile(r"^(\s*)export\s+(async\s+)?function\s+(\w+)", re.M)
_EXPORT_CONST = re.compile(r"^(\s*)export\s+(?:const|let|var)\s+(\w+)", re.M)


def inline_file(ref: str, base: Path) -> tuple[str | None, str | None]:
    """(function body, None), or (None, why it is not translated)."""
    written, _, fn = ref.removeprefix("file://").partition(":")
    if not written.endswith(_SUFFIXES):
        return None, f"javascript file '{written}' (not a .js or .ts file)"
    root = base.resolve()
    path = (base / written).resolve()
    if not path.is_relative_to(root):
        return None, f"javascript file '{written}' outside the config's folder"
    try:
        source = path.read_text(encoding="utf-8-sig")
    except OSError:
        return None, f"javascript file '{written}' not found"
    if _MODULES.search(source):
        return None, f"javascript file '{written}' imports modules (not in the sandbox)"
    if re.search(r"\basync\b|\bawait\b", source):
        return None, f"javascript file '{written}' is asynchronous (the sandbox runs sync code)"
    if written.endswith((".ts", ".mts", ".cts")) and _TYPESCRIPT.search(source):
        return None, f"javascript file '{written}' uses TypeScript syntax"
    if fn and not re.fullmatch(r"[A-Za-z_$][\w$]*", fn):
        return None, f"javascript file function '{fn}'"
    body = _EXPORT_DEFAULT.sub(r"\1module.exports.default = ", source)
    named: list[str] = []

    def function(m: re.Match[str]) -> str:
        named.append(m.group(3))
        return f"{m.group(1)}{m.group(2) or ''}function {m.group(3)}"

    def constant(m: re.Match[str]) -> str:
        named.append(m.group(2))
        return f"{m.group(1)}var {m.group(2)}"

    body = _EXPORT_FUNCTION.sub(function, body)
    body = _EXPORT_CONST.sub(constant, body)
    exports = "".join(f"module.exports.{n} = {n};\n" for n in named)
    pick = f"module.exports.{fn}" if fn else "(module.exports.default || module.exports)"
    return (
        f"// from {written}, imported by `llmeval import promptfoo`\n"
        "var module = {exports: {}};\nvar exports = module.exports;\n"
        f"{body.rstrip()}\n{exports}"
        f"var __check = {pick};\n"
        "if (typeof __check !== 'function') throw new Error("
        f"{json.dumps('no function exported by ' + written)});\n"
        "return __check(output, context);\n"
    ), None
