"""``classification``: the output's label against the case's ``expected`` (or ``value``).

Options (all checked at plan time):
  labels     the allowed label set; a prediction outside it fails
  normalize  strip, lowercase, drop surrounding quotes and trailing punctuation (default true)
  map        {synonym: label}, applied after normalising
  extract    a regex with one group that pulls the label out of a longer output
  max_labels labels the confusion matrix shows (console and report; default 12), the
             rest summed as "other"
The details carry ``{"predicted", "expected"}`` (and ``max_labels`` when set) so the run
summary can compute suite-level accuracy, precision/recall/F1 and the confusion matrix
(``analysis.corpus``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.registry import register
from llmeval.metrics.text import compile_regex
from llmeval.metrics.values import check_options, js_str

_TRAILING = ".,;:!?"
_QUOTES = "\"'`*"


def normalize_label(text: str) -> str:
    s = text.strip().strip(_QUOTES).strip().lower()
    return s.rstrip(_TRAILING).strip().strip(_QUOTES).strip()


@dataclass(frozen=True, slots=True)
class LabelRule:
    """How raw text becomes a label; the same rule applies to outputs and expectations."""

    normalize: bool = True
    mapping: tuple[tuple[str, str], ...] = ()
    labels: tuple[str, ...] = ()  # canonical spellings, as written in the suite
    extract: re.Pattern[str] | None = None

    def _key(self, text: str) -> str:
        return normalize_label(text) if self.normalize else text.strip()

    def canonical(self, text: str) -> str:
        """Normalised, mapped, and spelled as in ``labels`` when it is one of them."""
        key = self._key(text)
        key = dict(self.mapping).get(key, key)
        for label in self.labels:
            if self._key(label) == key:
                return label
        return key

    def predict(self, output: str) -> str | None:
        text = output
        if self.extract is not None:
            m = self.extract.search(output)
            if m is None:
                return None
            text = m.group(1) or ""
        return self.canonical(text)

    def allowed(self, label: str) -> bool:
        return not self.labels or label in self.labels


def build_rule(spec: AssertionSpec) -> LabelRule:
    opts = check_options(spec, "labels", "normalize", "map", "extract", "max_labels")
    cap = opts.get("max_labels")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 2):
        raise ConfigError("option 'max_labels' must be a whole number of at least 2")
    normalize = opts.get("normalize", True)
    if not isinstance(normalize, bool):
        raise ConfigError("option 'normalize' must be true or false")
    labels = opts.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(x, str | int) for x in labels):
        raise ConfigError("option 'labels' must be a list of label names")
    raw_map = opts.get("map", {})
    if not isinstance(raw_map, dict):
        raise ConfigError("option 'map' must be a mapping {synonym: label}")
    extract = None
    if "extract" in opts:
        extract = compile_regex(opts["extract"], "extract")
        if extract.groups != 1:
            raise ConfigError("option 'extract' must be a regex with exactly one group")
    base = LabelRule(normalize=normalize, labels=tuple(js_str(x) for x in labels))
    mapping = tuple((base._key(js_str(k)), base._key(js_str(v))) for k, v in raw_map.items())
    rule = LabelRule(normalize, mapping, base.labels, extract)
    for _, target in mapping:
        if not rule.allowed(rule.canonical(target)):
            raise ConfigError(f"option 'map' maps to '{target}', which is not in 'labels'")
    return rule


def label_problem(rule: LabelRule, target: Any) -> str | None:
    """Why ``target`` cannot be a case's expected label, or None.

    One rule for both places that ask: ``llmeval validate`` (per case, at its line)
    and the metric at score time.
    """
    if target is None or isinstance(target, dict | list):
        return "'classification' needs the case's expected label (set 'expected')"
    if not rule.canonical(js_str(target)):
        return "'classification' needs a non-empty expected label"
    expected = rule.canonical(js_str(target))
    if not rule.allowed(expected):
        return f"expected label '{expected}' is not in 'labels'"
    return None


def case_label_problem(spec: AssertionSpec, expected: Any) -> str | None:
    """For a ``classification`` assertion without a fixed value: is the case's
    ``expected`` a label? (None when the spec is another type, or has a value.)"""
    if spec.type != "classification" or spec.value is not None:
        return None
    try:
        rule = build_rule(spec)
    except ConfigError:
        return None  # reported where the assertion is checked
    return label_problem(rule, expected)


MAX_LABEL_CHARS = 100


def recorded_label(label: str | None) -> str | None:
    """``label`` as the journal, the confusion matrix and the console get it: a label
    over ``MAX_LABEL_CHARS`` (a whole answer read as a label, when the suite sets no
    ``labels``) is cut, with a hash so distinct long labels stay distinct."""
    if label is None or len(label) <= MAX_LABEL_CHARS:
        return label
    import hashlib

    from llmeval.text import clip

    digest = hashlib.sha256(label.encode("utf-8", "replace")).hexdigest()[:8]
    return f"{clip(label, MAX_LABEL_CHARS - 30)} #{digest}"  # the one clipping rule


@register("classification", description="the output's label equals the expected label")
def _classification(spec: AssertionSpec, build: BuildContext) -> Callable[[ScoreContext], Score]:
    rule = build_rule(spec)
    cap = spec.options.get("max_labels")
    fixed = spec.value
    if fixed is not None and not isinstance(fixed, str | int):
        raise ConfigError("'classification' value must be the expected label")
    if fixed is not None and not rule.allowed(rule.canonical(js_str(fixed))):
        raise ConfigError(f"expected label '{fixed}' is not in 'labels'")

    def fn(ctx: ScoreContext) -> Score:
        target: Any = fixed if fixed is not None else ctx.case.expected
        problem = label_problem(rule, target)
        if problem is not None:
            return Score(passed=None, error=problem)
        expected = rule.canonical(js_str(target))
        full = rule.predict(ctx.output)
        ok = full is not None and rule.allowed(full) and full == expected
        # the verdict uses the whole label; what is recorded and shown is bounded
        predicted, shown = recorded_label(full), recorded_label(expected)
        details: dict[str, Any] = {"predicted": predicted, "expected": shown}
        if cap is not None:  # the confusion matrix's label count (analysis.corpus)
            details["max_labels"] = cap
        if predicted is None:
            reason = f"no label found in the output (expected '{shown}')"
        elif full is not None and not rule.allowed(full):
            reason = f"predicted '{predicted}' is not one of the labels"
        else:
            reason = f"predicted '{predicted}', expected '{shown}'"
        return Score(passed=ok, score=1.0 if ok else 0.0, reason=reason, details=details)

    return fn
