"""A case's conversation as written: ``turns:`` and ``messages:`` (a prior history).

``turns`` is a list of user messages, each a string or ``{content, assert: [...]}``;
``messages`` a list of ``{role: system | user | assistant, content}``. Both are Jinja2
templates rendered with the case's vars at plan time (``engine.agenda``). Every problem
is a ConfigError at the offending node.
"""

from __future__ import annotations

from typing import Any

from llmeval.config.assertions import AssertionChecker, read_assertions
from llmeval.config.schema import AssertionConfig
from llmeval.config.yaml import locate
from llmeval.domain.location import Location
from llmeval.domain.suite import Turn
from llmeval.errors import ConfigError

HISTORY_ROLES = ("system", "user", "assistant")


def read_turns(
    node: Any, where: Location, checker: AssertionChecker, errors: list[ConfigError]
) -> tuple[Turn, ...]:
    """The turns of a ``turns:`` list; ``where`` is the list's location."""
    if node is None:
        return ()
    if not isinstance(node, list) or not node:
        errors.append(ConfigError("'turns' should be a non-empty list of user messages", where))
        return ()
    turns: list[Turn] = []
    for i, item in enumerate(node):
        at = locate(node, (i,), default=where)
        if isinstance(item, str):
            turns.append(Turn(item, (), at))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            errors.append(
                ConfigError("a turn is a string or a mapping with 'content' (and 'assert')", at)
            )
            continue
        extra = sorted(str(k) for k in item if k not in ("content", "assert"))
        if extra:
            errors.append(ConfigError(f"unknown key '{extra[0]}' in a turn (content, assert)", at))
            continue
        raw_asserts = item.get("assert") or []
        if not isinstance(raw_asserts, list):
            errors.append(ConfigError("a turn's 'assert' should be a list", at))
            continue
        configs = []
        for j, a in enumerate(raw_asserts):
            try:
                configs.append(AssertionConfig.model_validate(a))
            except Exception:
                loc = locate(raw_asserts, (j,), default=at)
                errors.append(ConfigError("an assertion should be a mapping with a 'type'", loc))
        if len(configs) != len(raw_asserts):
            continue
        specs = read_assertions(configs, raw_asserts, at, checker, errors)
        turns.append(Turn(item["content"], specs, at))
    return tuple(turns)


def read_history(
    node: Any, where: Location, errors: list[ConfigError]
) -> tuple[tuple[str, str], ...]:
    """(role, content template) pairs of a ``messages:`` list."""
    if node is None:
        return ()
    if not isinstance(node, list):
        errors.append(ConfigError("'messages' should be a list of {role, content}", where))
        return ()
    out: list[tuple[str, str]] = []
    for i, item in enumerate(node):
        at = locate(node, (i,), default=where)
        role = item.get("role") if isinstance(item, dict) else None
        content = item.get("content") if isinstance(item, dict) else None
        if role not in HISTORY_ROLES or not isinstance(content, str):
            errors.append(
                ConfigError(
                    "a message should be {role: system | user | assistant, content: text}", at
                )
            )
            continue
        out.append((str(role), content))
    return tuple(out)
