"""String assertions with promptfoo's semantics, plus SQuAD-style exact-match and F1.

Each factory checks its value at plan time and returns a pure ``fn(ctx) -> Score``.
Reasons state a fact ("output contains ...") so they read right under ``not-`` too;
negation itself is applied centrally in ``metrics.apply``.
"""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from collections.abc import Callable
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.registry import register
from llmeval.metrics.values import (
    MissingReference,
    check_options,
    js_str,
    list_value,
    optional_references,
    references,
    scalar_value,
    string_value,
)

Fn = Callable[[ScoreContext], Score]


def _verdict(ok: bool, yes: str, no: str) -> Score:
    return Score(passed=ok, score=1.0 if ok else 0.0, reason=yes if ok else no)


def _missing(e: MissingReference) -> Score:
    return Score(passed=None, error=str(e))


# --- equals ---------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not JSON: {name}")  # JSON.parse rejects NaN/Infinity; so do we


def parse_json(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


def strict_equal(a: Any, b: Any) -> bool:
    """JavaScript's ``isDeepStrictEqual`` on JSON: ``true`` is not ``1``, ``1`` is ``1.0``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(strict_equal(a[k], b[k]) for k in a)
        )
    if isinstance(a, list | tuple):
        return (
            isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and a == b


def _equals_check(output: str, target: Any) -> Score:
    if isinstance(target, dict | list):
        shown = json.dumps(target)
        try:
            ok = strict_equal(parse_json(output), target)
        except ValueError:
            return Score(
                passed=False, score=0.0, reason=f"output is not JSON, so cannot equal {shown}"
            )
        return _verdict(ok, f"output equals {shown}", f"output does not equal {shown}")
    want = js_str(target)
    return _verdict(output == want, f'output equals "{want}"', f'output does not equal "{want}"')


@register("equals", description="output equals the value (JSON-compared if the value is an object)")
def _equals(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    value = spec.value
    if value is not None:
        return lambda ctx: _equals_check(ctx.output, value)

    def fn(ctx: ScoreContext) -> Score:  # no value: compare with the case's expected
        if ctx.case.expected is None:
            return Score(passed=None, error="'equals' has no value and the case no 'expected'")
        return _equals_check(ctx.output, ctx.case.expected)

    return fn


# --- contains family --------------------------------------------------------------------


def _contains(name: str, fold: bool) -> None:
    @register(name, requires_value=True, description=f"{name}: output contains the value")
    def factory(spec: AssertionSpec, build: BuildContext) -> Fn:
        check_options(spec)
        needle = scalar_value(spec.type, spec.value)
        key = needle.lower() if fold else needle

        def fn(ctx: ScoreContext) -> Score:
            out = ctx.output.lower() if fold else ctx.output
            return _verdict(
                key in out, f'output contains "{needle}"', f'output does not contain "{needle}"'
            )

        return fn


def _contains_many(name: str, fold: bool, need_all: bool) -> None:
    @register(name, requires_value=True, description=f"output {name} of the values")
    def factory(spec: AssertionSpec, build: BuildContext) -> Fn:
        check_options(spec)
        needles = list_value(spec.type, spec.value)
        keys = [n.lower() for n in needles] if fold else needles
        shown = ", ".join(needles)

        def fn(ctx: ScoreContext) -> Score:
            out = ctx.output.lower() if fold else ctx.output
            if need_all:
                missing = [n for n, k in zip(needles, keys, strict=True) if k not in out]
                return _verdict(
                    not missing,
                    f"output contains all of [{shown}]",
                    f"output is missing [{', '.join(missing)}] of [{shown}]",
                )
            return _verdict(
                any(k in out for k in keys),
                f'output contains one of "{shown}"',
                f'output contains none of "{shown}"',
            )

        return fn


_contains("contains", fold=False)
_contains("icontains", fold=True)
_contains_many("contains-any", fold=False, need_all=False)
_contains_many("icontains-any", fold=True, need_all=False)
_contains_many("contains-all", fold=False, need_all=True)
_contains_many("icontains-all", fold=True, need_all=True)


@register("starts-with", requires_value=True, description="output starts with the value")
def _starts_with(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    prefix = string_value(spec.type, spec.value)
    return lambda ctx: _verdict(
        ctx.output.startswith(prefix),
        f'output starts with "{prefix}"',
        f'output does not start with "{prefix}"',
    )


# JavaScript names groups (?<name>...); Python wants (?P<name>...). Lookbehinds are left alone.
_JS_NAMED_GROUP = re.compile(r"(?<!\\)\(\?<(?![=!])")


# A pattern like (a+)+$ backtracks exponentially on a hostile answer; the `regex`
# module (API and syntax of `re`) takes a timeout, so that is one case's error
REGEX_TIMEOUT_S = 1.0


def compile_regex(pattern: Any, what: str = "regex") -> Any:
    """The compiled pattern (a ``regex.Pattern``, used like ``re.Pattern``)."""
    import regex

    if not isinstance(pattern, str) or pattern == "":
        raise ConfigError(f"'{what}' needs a non-empty pattern string")
    try:
        return regex.compile(_JS_NAMED_GROUP.sub("(?P<", pattern))
    except regex.error as e:
        raise ConfigError(f"invalid regex {pattern!r}: {e}") from None


@register("regex", requires_value=True, description="output matches the regular expression")
def _regex(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    rx = compile_regex(spec.value)

    def fn(ctx: ScoreContext) -> Score:
        try:
            found = rx.search(ctx.output, timeout=REGEX_TIMEOUT_S) is not None
        except TimeoutError:
            msg = (
                f"regex took over {REGEX_TIMEOUT_S:g} s on this output (catastrophic backtracking?)"
            )
            return Score(passed=None, error=msg)
        return _verdict(
            found,
            f'output matches regex "{spec.value}"',
            f'output does not match regex "{spec.value}"',
        )

    return fn


# --- levenshtein and word-count: the threshold is a maximum / a range -------------------


@register("levenshtein", description="edit distance to the value (or expected) <= threshold (5)")
def _levenshtein(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    refs = optional_references(spec.type, spec.value)
    limit = 5.0 if spec.threshold is None else spec.threshold
    if limit < 0:
        raise ConfigError(
            "'levenshtein' threshold is a maximum edit distance and cannot be negative"
        )

    def fn(ctx: ScoreContext) -> Score:
        from rapidfuzz.distance import Levenshtein

        try:
            candidates = references(refs, ctx)
        except MissingReference as e:
            return _missing(e)
        dist = min(Levenshtein.distance(ctx.output, r) for r in candidates)
        ok = dist <= limit
        s = _verdict(
            ok,
            f"Levenshtein distance {dist} is within threshold {limit:g}",
            f"Levenshtein distance {dist} is greater than threshold {limit:g}",
        )
        return Score(passed=s.passed, score=s.score, reason=s.reason, details={"distance": dist})

    return fn


def _word_bounds(value: Any) -> tuple[float | None, float | None, float | None]:
    """(exact, min, max) from ``50``, ``"50"`` or ``{min: 20, max: 50}``."""
    if isinstance(value, dict):
        unknown = set(value) - {"min", "max"}
        if unknown:
            raise ConfigError(f"'word-count' value has unknown keys: {sorted(unknown)}")
        lo, hi = value.get("min"), value.get("max")
        if lo is None and hi is None:
            raise ConfigError("'word-count' value object needs 'min' and/or 'max'")
        for v in (lo, hi):
            if v is not None and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise ConfigError("'word-count' min and max must be numbers")
        if lo is not None and hi is not None and lo > hi:
            raise ConfigError(f"'word-count' min ({lo}) must be less than or equal to max ({hi})")
        return None, lo, hi
    if isinstance(value, bool) or value is None:
        raise ConfigError("'word-count' value must be a number or an object with min/max")
    try:
        return float(value), None, None
    except (TypeError, ValueError):
        raise ConfigError("'word-count' value must be a number or an object with min/max") from None


@register(
    "word-count", requires_value=True, description="number of words equals value, or in {min, max}"
)
def _word_count(spec: AssertionSpec, build: BuildContext) -> Fn:
    check_options(spec)
    exact, lo, hi = _word_bounds(spec.value)

    def fn(ctx: ScoreContext) -> Score:
        n = len(ctx.output.split())
        if exact is not None:
            ok, want = n == exact, f"{exact:g}"
        else:
            ok = (lo is None or n >= lo) and (hi is None or n <= hi)
            if lo is not None and hi is not None:
                want = f"between {lo:g} and {hi:g}"
            else:
                want = f"at least {lo:g}" if lo is not None else f"at most {hi:g}"
        s = _verdict(ok, f"word count {n} is {want}", f"word count {n} is not {want}")
        return Score(passed=s.passed, score=s.score, reason=s.reason, details={"words": n})

    return fn


# --- SQuAD-style exact match and token F1 ------------------------------------------------

_PUNCT = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def squad_normalize(text: str) -> str:
    """Lowercase, drop punctuation, drop articles, collapse whitespace (SQuAD's order)."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def token_f1(prediction: str, reference: str) -> float:
    p, g = squad_normalize(prediction).split(), squad_normalize(reference).split()
    if not p or not g:
        return float(p == g)
    same = sum((Counter(p) & Counter(g)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(p), same / len(g)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction: str, reference: str) -> float:
    return float(squad_normalize(prediction) == squad_normalize(reference))


def _reference_metric(name: str, score_fn: Callable[[str, str], float]) -> Callable[..., Fn]:
    def factory(spec: AssertionSpec, build: BuildContext) -> Fn:
        check_options(spec)
        refs = optional_references(spec.type, spec.value)

        def fn(ctx: ScoreContext) -> Score:
            try:
                candidates = references(refs, ctx)
            except MissingReference as e:
                return _missing(e)
            best = max(score_fn(ctx.output, r) for r in candidates)
            return Score(passed=None, score=best, reason=f"{name} {best:.2f}")

        return fn

    return factory


register(
    "exact-match",
    threshold="min",
    default_threshold=1.0,
    description="SQuAD-normalised exact match",
)(_reference_metric("exact match", exact_match))
register("f1", threshold="min", default_threshold=0.5, description="SQuAD token F1 vs expected")(
    _reference_metric("token F1", token_f1)
)
