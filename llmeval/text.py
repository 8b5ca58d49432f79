"""Untrusted text: repaired once where it enters, made visible where it is shown.

Model answers, python targets' return values, file contents and provider fields are
data from outside. Two rules, each applied in one place:

- ``repair`` where text enters llmeval (the provider boundary, dataset rows): text
  that is not valid UTF-8, or holds lone surrogates (``"\\ud800"`` from a JSON escape),
  becomes valid text with U+FFFD in place of what could not be read. Every writer
  downstream (journal, cache, report) can then encode it.
- ``visible`` where text is printed to a terminal or a CI log: control characters,
  ESC sequences and bidirectional overrides are shown as ``\\x1b`` / ``\\u202e``, never
  emitted raw, so a case id or an answer cannot move the cursor, recolour the screen,
  fake a ``PASSED`` line or start a ``::error::`` GitHub annotation.

``clip`` bounds what one console line shows, with a marker saying how much was cut.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["clip", "repair", "repair_value", "visible"]


def repair(text: str | bytes) -> str:
    """``text`` as valid Unicode: bad UTF-8 bytes and lone surrogates become U+FFFD.

    Valid text is returned unchanged (the same object), at the cost of one encode.
    """
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", "replace")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # via UTF-16 so a surrogate *pair* written as two escapes joins into its
        # character, and only unpaired halves are replaced
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def repair_value(value: Any) -> Any:
    """``repair`` applied to every string (keys included) of JSON-like ``value``."""
    if isinstance(value, str):
        return repair(value)
    if isinstance(value, dict):
        return {repair_value(k): repair_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [repair_value(v) for v in value]
    return value


# C0 and C1 controls, DEL, zero-width and bidirectional formatting characters, the
# Unicode line/paragraph separators and the BOM; newline and tab are kept only in
# multi-line text
_HIDDEN = "\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff"
_ONE_LINE = re.compile(f"[\t\n{_HIDDEN}]")
_MULTI_LINE = re.compile(f"[{_HIDDEN}]")
# a GitHub Actions workflow command is a line that starts with '::'
_COMMAND = re.compile(r"^::", re.M)


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def visible(text: Any, *, multiline: bool = False) -> str:
    """``text`` safe to print: hidden and control characters shown as escapes.

    One-line (the default, for ids, labels, reasons): newlines and tabs are escaped
    too, so the text stays on its line. ``multiline``: newlines and tabs kept (CRLF
    read as a newline). Either way a line cannot begin with ``::``.
    """
    s = text if isinstance(text, str) else str(text)
    if multiline:
        s = _MULTI_LINE.sub(_escape, s.replace("\r\n", "\n"))
    else:
        s = _ONE_LINE.sub(_escape, s)
    return _COMMAND.sub(r"\\x3a:", s) if "::" in s else s


def clip(text: str, limit: int, *, count: bool = True) -> str:
    """At most about ``limit`` characters of ``text``, with a marker of what was cut
    (``… [+N chars]``, or a bare ``…`` where space is short, e.g. a table header)."""
    if len(text) <= limit:
        return text
    if not count:
        return text[: max(limit - 1, 1)] + "…"
    return f"{text[:limit]}… [+{len(text) - limit:,} chars]"
