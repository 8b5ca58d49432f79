"""A suite's ``derived_metrics:`` (promptfoo's ``derivedMetrics``), checked at load.

Each item is ``{name, value}``: ``value`` an expression over metric names (see
``analysis.derived``). A bad item is a config error at its line; the expressions are
parsed now, so ``llmeval validate`` finds them before any call.
"""

from __future__ import annotations

import re
from typing import Any

from llmeval.config.yaml import YamlList, YamlMap
from llmeval.domain.location import Location
from llmeval.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def read_derived(
    raw: Any, where: Location, errors: list[ConfigError]
) -> tuple[tuple[str, str], ...]:
    from llmeval.analysis.derived import ExpressionError, parse

    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors.append(ConfigError("derived_metrics: a list of {name, value}", where))
        return ()
    out: list[tuple[str, str]] = []
    for i, item in enumerate(raw):
        at = raw.item_location(i) if isinstance(raw, YamlList) else where
        if not isinstance(item, dict) or set(item) != {"name", "value"}:
            errors.append(ConfigError("derived_metrics: each item is {name, value}", at))
            continue
        name, value = item["name"], item["value"]
        vat = item.value_location("value") if isinstance(item, YamlMap) else at
        nat = item.value_location("name") if isinstance(item, YamlMap) else at
        if not isinstance(name, str) or not _NAME.match(name):
            errors.append(
                ConfigError(
                    f"derived_metrics: name {name!r} must be a word (letters, digits, _), "
                    "so later expressions can use it",
                    nat,
                )
            )
            continue
        if any(n == name for n, _ in out):
            errors.append(ConfigError(f"derived_metrics: '{name}' is defined twice", nat))
            continue
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        try:
            parse(value)
        except ExpressionError as e:
            errors.append(ConfigError(f"derived_metrics '{name}': {e}", vat))
            continue
        out.append((name, value))
    return tuple(out)
