"""Located YAML data: ``dict`` / ``list`` subclasses that remember line and column.

Mappings and sequences loaded by ``config.yaml`` keep the 1-based line and column of
each key, value and item, so any later check (pydantic, cross-file) can point at the
exact place in the user's file. Scalars are plain Python values; their place is
kept by the container holding them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llmeval.domain.location import Location


class YamlMap(dict):  # type: ignore[type-arg]
    """A mapping that knows its file and the (line, col) of each key and value."""

    __slots__ = ("col", "file", "line", "marks")

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.file = ""
        self.line = self.col = 1
        self.marks: dict[Any, tuple[int, int, int, int]] = {}  # key -> kline, kcol, vline, vcol

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.col)

    def key_location(self, key: Any) -> Location:
        m = self.marks.get(key)
        return Location(self.file, m[0], m[1]) if m else self.location

    def value_location(self, key: Any) -> Location:
        m = self.marks.get(key)
        return Location(self.file, m[2], m[3]) if m else self.location


class YamlList(list):  # type: ignore[type-arg]
    """A sequence that knows its file and the (line, col) of each item."""

    __slots__ = ("col", "file", "line", "marks")

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.file = ""
        self.line = self.col = 1
        self.marks: list[tuple[int, int]] = []

    @property
    def location(self) -> Location:
        return Location(self.file, self.line, self.col)

    def item_location(self, index: int) -> Location:
        if 0 <= index < len(self.marks):
            return Location(self.file, *self.marks[index])
        return self.location


def locate(
    data: Any,
    path: Sequence[str | int],
    *,
    key: bool = False,
    file: str | None = None,
    default: Location | None = None,
) -> Location:
    """The location of the node nearest to ``path`` (a pydantic error ``loc``).

    With ``key=True`` and the whole path found, the location of the last key itself
    (what an "unknown field" error should point at) rather than of its value.
    Data that did not come from YAML (a JSONL row) is located at ``default``.
    """
    if isinstance(data, YamlMap | YamlList):
        here = data.location
    else:
        here = default or Location(file if file is not None else "")
    node = data
    for i, seg in enumerate(path):
        if isinstance(node, YamlMap) and seg in node:
            here = (
                node.key_location(seg) if key and i == len(path) - 1 else node.value_location(seg)
            )
            node = node[seg]
        elif isinstance(node, YamlList) and isinstance(seg, int) and 0 <= seg < len(node):
            here = node.item_location(seg)
            node = node[seg]
        else:
            break
    return here
