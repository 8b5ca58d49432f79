"""What an import could not carry over, each at the line it was written.

The importer never drops anything silently: every input it does not translate is one
``Note``, printed as ``file:line: not translated: <what>``, and makes the command exit 3.
What is translated but worth a word (a YAML 1.1 word boolean read as text, as promptfoo
reads it) is a warning, ``file:line: warning: <what>``, and leaves the exit code alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Note:
    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: not translated: {self.what}"


@dataclass(frozen=True, slots=True)
class Where:
    """A place in an input file (1-based line)."""

    file: str
    line: int = 1

    def at(self, node: Any, key: Any = None) -> Where:
        """The line of ``node[key]`` (or of ``node``) when ``node`` carries YAML marks."""
        marks = getattr(node, "marks", None)
        if marks is not None and key is not None:
            try:
                mark = marks[key]
            except (KeyError, IndexError, TypeError):
                mark = None
            if mark:
                return Where(getattr(node, "file", None) or self.file, mark[0])
        line = getattr(node, "line", None)
        if isinstance(line, int) and line > 0 and key is None:
            return Where(getattr(node, "file", None) or self.file, line)
        return self


@dataclass(frozen=True, slots=True)
class Warning_:
    """Translated, but worth a word (printed; the import stays complete)."""

    file: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: warning: {self.what}"


@dataclass(slots=True)
class Notes:
    items: list[Note] = field(default_factory=list)
    warnings: list[Warning_] = field(default_factory=list)

    def add(self, where: Where, what: str) -> None:
        note = Note(where.file, where.line, what)
        if note not in self.items:
            self.items.append(note)

    def warn(self, where: Where, what: str) -> None:
        w = Warning_(where.file, where.line, what)
        if w not in self.warnings:
            self.warnings.append(w)

    def from_loader(self, found: list[Any]) -> None:
        """The YAML loader's warnings (``ConfigWarning``s with a location)."""
        for e in found:
            loc = e.location
            self.warn(Where(loc.file if loc else "", loc.line if loc else 1), e.message)

    def __len__(self) -> int:
        return len(self.items)
