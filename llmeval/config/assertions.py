"""Assertions as written in a suite -> validated ``AssertionSpec``s.

Each spec is checked by building its metric through the registry (an unknown type,
a missing value, a bad regex or an uncompilable schema fails here, before any call).
Identical assertions (e.g. the same defaults on 10,000 cases) are built once.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from llmeval.config.schema import ASSERTION_FIELDS, AssertionConfig
from llmeval.config.yaml import YamlMap, locate
from llmeval.domain.location import Location
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError


def to_spec(
    cfg: AssertionConfig, raw: Any, where: Location
) -> tuple[AssertionSpec, list[ConfigError]]:
    """The spec for one validated assertion, plus typo errors in its extra keys.

    ``raw`` is the YAML node (for locating keys); ``where`` the assertion's location.
    """
    name = cfg.type.strip()
    negate = name.startswith("not-")
    options = dict(cfg.model_extra or {})
    problems = []
    for key in options:
        close = difflib.get_close_matches(str(key), ASSERTION_FIELDS, n=1, cutoff=0.8)
        if close:
            at = locate(raw, (key,), key=True) if isinstance(raw, YamlMap) else where
            problems.append(ConfigError(f"unknown field '{key}' (did you mean '{close[0]}'?)", at))
    spec = AssertionSpec(
        type=name[4:] if negate else name,
        value=cfg.value,
        negate=negate,
        threshold=cfg.threshold,
        weight=cfg.weight,
        metric=cfg.metric,
        options=options,
        location=where,
        transform=cfg.transform,
    )
    if cfg.transform is not None:
        from llmeval.metrics.transform import check

        why = check(cfg.transform)
        if why is not None:
            at = raw.value_location("transform") if isinstance(raw, YamlMap) else where
            problems.append(ConfigError(why, at))
    return spec, problems


class AssertionChecker:
    """Builds each distinct assertion once through the metric registry."""

    def __init__(self, root: Path, judge: str | None = None) -> None:
        from llmeval.metrics.base import BuildContext

        self.ctx = BuildContext(root=root, judge=judge)
        self._seen: dict[str, tuple[type[ConfigError], str, bool, Location | None] | None] = {}

    def in_folder(self, suite_dir: Path) -> AssertionChecker:
        """The checker for one suite: files it names are looked for in its folder first.
        Shares the cache of built assertions (keyed by folder too)."""
        from dataclasses import replace

        other = AssertionChecker.__new__(AssertionChecker)
        other.ctx = replace(self.ctx, suite_dir=suite_dir)
        other._seen = self._seen
        return other

    def check(self, spec: AssertionSpec, raw: Any = None) -> ConfigError | None:
        """None if ``spec`` builds; else a ConfigError at the most precise place.

        An unknown type points at ``type``, any other problem at ``value`` when the
        assertion has one (a bad regex, a bad schema), else at the assertion.
        """
        key = repr(
            (spec.type, spec.negate, spec.value, spec.threshold, spec.options, self.ctx.suite_dir)
        )
        if key not in self._seen:
            self._seen[key] = self._build(spec)
        found = self._seen[key]
        if found is None:
            return None
        cls, message, about_type, inner = found
        where = spec.location
        if inner is not None and inner != spec.location:
            return cls(message, inner)  # a nested assertion (assert-set) located itself
        if isinstance(raw, YamlMap):
            field = "type" if about_type else "value"
            if field in raw:
                where = raw.value_location(field)
        return cls(message, where)

    def _build(
        self, spec: AssertionSpec
    ) -> tuple[type[ConfigError], str, bool, Location | None] | None:
        from llmeval.metrics import registry

        try:
            registry.build(spec, self.ctx)
        except ConfigError as e:
            about_type = e.message.startswith("unknown assertion type")
            return type(e), e.message, about_type, e.location
        except Exception as e:  # a metric factory bug must still not become a traceback
            msg = f"assertion '{spec.name}' could not be set up: {type(e).__name__}: {e}"
            return ConfigError, msg, False, None
        return None


def read_assertions(
    items: list[AssertionConfig],
    raw_items: Any,
    fallback: Location,
    checker: AssertionChecker,
    errors: list[ConfigError],
) -> tuple[AssertionSpec, ...]:
    """Specs for a validated ``assert:`` list; problems go to ``errors``."""
    specs = []
    for i, cfg in enumerate(items):
        raw = raw_items[i] if isinstance(raw_items, list) and i < len(raw_items) else None
        where = locate(raw_items, (i,)) if hasattr(raw_items, "marks") else fallback
        spec, problems = to_spec(cfg, raw, where)
        errors.extend(problems)
        problem = None if problems else checker.check(spec, raw)  # one report per typo
        if problem is not None:
            errors.append(problem)
        specs.append(spec)
    return tuple(specs)
