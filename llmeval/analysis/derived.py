"""Derived metrics: named scores aggregated per group, then combined by an expression.

promptfoo's ``derivedMetrics: [{name, value}]`` (llmeval suites: ``derived_metrics:``).
Per suite x model x prompt, each named metric is the **sum** over the group's scored
results of that result's value (the mean of its assertions tagged ``metric: NAME``, and
a python scorer's ``namedScores``), as promptfoo sums ``namedScores`` per prompt;
``__count`` is the number of scored results. The expressions are then evaluated in
order, so a later one may use an earlier one's name. A name that no result has is 0
(promptfoo). Division by zero, an overflow or a non-finite result gives ``None`` (no
value), where promptfoo's mathjs would show ``Infinity`` or ``NaN``; so does an
expression using a derived metric that has no value.

Expressions are parsed with ``ast`` and evaluated by walking the tree, never by
``eval``: numbers, names, ``+ - * / **`` (and mathjs' ``^`` as a power), ``%``,
parentheses, unary minus, and ``min``, ``max``, ``abs``. Pure functions only.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

MAX_CHARS = 1000
MAX_EXPONENT = 1000.0
COUNT = "__count"

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.BitXor: operator.pow,  # mathjs (promptfoo): ^ is a power
}
_FUNCTIONS: dict[str, Callable[..., float]] = {"min": min, "max": max, "abs": abs}


class ExpressionError(ValueError):
    """An expression that is not in the allowed grammar (a config error)."""


def parse(text: str) -> ast.Expression:
    """The checked syntax tree of ``text``; ExpressionError names what is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"the expression is longer than {MAX_CHARS} characters")
    if text.lstrip().startswith("function") or "=>" in text:
        raise ExpressionError(
            "JavaScript functions are not supported; write an expression over metric names"
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"not an expression: {e.msg}") from None
    for node in ast.walk(tree):
        _check(node)
    return tree


def _check(node: ast.AST) -> None:
    if isinstance(node, ast.Expression | ast.Load | ast.operator | ast.unaryop):
        if isinstance(node, ast.operator) and type(node) not in _BINARY:
            raise ExpressionError(f"operator {type(node).__name__} is not allowed")
        if isinstance(node, ast.unaryop) and not isinstance(node, ast.USub | ast.UAdd):
            raise ExpressionError(f"operator {type(node).__name__} is not allowed")
        return
    if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Name):
        return
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise ExpressionError(f"only numbers may be written as values, not {node.value!r}")
        return
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        if name not in _FUNCTIONS or node.keywords or not node.args:
            raise ExpressionError("the only functions are min(...), max(...) and abs(...)")
        if name == "abs" and len(node.args) != 1:
            raise ExpressionError("abs takes one argument")
        return
    raise ExpressionError(f"{type(node).__name__} is not allowed in an expression")


def names_in(tree: ast.Expression) -> set[str]:
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in calls}


def evaluate(tree: ast.Expression, values: Mapping[str, float]) -> float | None:
    """The value of a checked tree; missing names are 0; None if it has no finite value."""
    try:
        out = _eval(tree.body, values)
    except (ZeroDivisionError, OverflowError, ValueError, TypeError):
        return None
    return out if math.isfinite(out) else None


def _eval(node: ast.AST, values: Mapping[str, float]) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        return float(values.get(node.id, 0.0))
    if isinstance(node, ast.UnaryOp):
        v = _eval(node.operand, values)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, values), _eval(node.right, values)
        fn = _BINARY[type(node.op)]
        if fn is operator.pow and abs(right) > MAX_EXPONENT:
            raise OverflowError("exponent too large")
        result = fn(left, right)
        if isinstance(result, complex):
            raise ValueError("complex result")
        return float(result)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [_eval(a, values) for a in node.args]
        return float(_FUNCTIONS[node.func.id](*args))
    raise ValueError(f"unexpected {type(node).__name__}")  # parse() rules this out


def result_values(assertions: Iterable[Any]) -> dict[str, float]:
    """One result's named values: the mean score of its assertions tagged with each
    ``metric`` name, and its scorers' ``namedScores``."""
    scores: dict[str, list[float]] = {}
    for a in assertions:
        if a.metric and a.score is not None and a.scored:
            scores.setdefault(a.metric, []).append(float(a.score))
        for name, value in ((a.details or {}).get("named_scores") or {}).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                scores.setdefault(str(name), []).append(float(value))
    return {k: sum(v) / len(v) for k, v in scores.items()}


def compute(
    definitions: Sequence[tuple[str, str]], per_result: Sequence[Mapping[str, float]]
) -> dict[str, float | None]:
    """The derived metrics of one group, from each scored result's named values."""
    if not definitions:
        return {}
    values: dict[str, float] = {}
    for named in per_result:
        for k, v in named.items():
            values[k] = values.get(k, 0.0) + v
    values[COUNT] = float(len(per_result))
    out: dict[str, float | None] = {}
    undefined: set[str] = set()
    for name, text in definitions:
        tree = parse(text)
        got = None if names_in(tree) & undefined else evaluate(tree, values)
        out[name] = got
        if got is None:
            undefined.add(name)  # what uses it has no value either
            values.pop(name, None)
        else:
            undefined.discard(name)
            values[name] = got
    return out
