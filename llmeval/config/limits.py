"""How big and how deep the data read from user files may be.

Every later stage (pydantic, the secret scan, ``json.dumps`` in the journal, the
report) walks values recursively, and a YAML alias is a pointer that each of those
walks follows again. So the loaders refuse, with the file and line, data that is
nested deeper than ``MAX_DEPTH`` (far below Python's recursion limit of 1000) or whose
aliases expand to more than ``MAX_ALIAS_EXPANSION`` (a "billion laughs" file is a few
hundred bytes that expand to gigabytes).
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 100  # nested mappings / lists; real configs stay under 20
MAX_ALIASES = 100_000  # alias uses in one file
# nodes + characters that alias uses add to a file once each use is expanded: a
# 10,000-case suite sharing a 200-character ``vars`` block by alias needs 2,000,000
MAX_ALIAS_EXPANSION = 5_000_000


def measure(value: Any, memo: dict[int, tuple[int, int]]) -> tuple[int, int]:
    """(expanded size, height) of ``value``: size counts one per node plus the
    characters of its strings, with every shared (aliased) node counted each time it
    is used; height is the nesting depth (0 for a scalar).

    ``memo`` (by object id, over objects that stay alive) makes each distinct
    container cost one visit, however often it is shared.
    """
    if isinstance(value, str):
        return 1 + len(value), 0
    if not isinstance(value, dict | list):
        return 1, 0
    key = id(value)
    hit = memo.get(key)
    if hit is not None:
        return hit
    size, height = 1, 0
    items = (x for kv in value.items() for x in kv) if isinstance(value, dict) else iter(value)
    for item in items:
        s, h = measure(item, memo)
        size += s
        height = max(height, h + 1)
    memo[key] = (size, height)
    return size, height


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of JSON-like ``value``, walked without recursion; stops counting
    (returns ``limit + 1``) as soon as ``limit`` is passed."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        d += 1
        if d > limit:
            return d
        deepest = max(deepest, d)
        stack.extend((c, d) for c in children)
    return deepest
