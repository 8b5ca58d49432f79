"""``python``: a team's own scorer, ``file.py:function`` under the project root.

The function gets ``(output, context)`` and returns a bool, a number (a score) or a
dict ``{pass, score, reason}`` — read as promptfoo reads them. ``context`` carries
promptfoo's keys (``prompt``: the rendered prompt text, ``vars``, ``test``:
``{vars, description, id, tags}``) next to llmeval's own. A dict's ``namedScores``
(``{name: score}``) and ``componentResults`` (a list of ``{pass, score, reason}``,
each named by its ``assertion.metric`` / ``metric``) are kept as named metrics in the
result's ``details["named_scores"]``.

Scores outside [0, 1]: pass/fail is decided on the raw score (promptfoo's rule:
``score >= threshold``, else ``score > 0``); the recorded score, which enters weighted
means, is the raw one brought into [0, 1] (above 1 counts as 1, below 0 as 0), the
reason says so, and ``details["raw_score"]`` keeps the raw value. It runs in a separate,
persistent worker processes (``metrics.pool``) whose environment has no provider
keys, with a timeout; a crash or a timeout is that case's error, never the run's,
and the worker is restarted on the next call.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError, ScorerError
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.pool import run_scorer
from llmeval.metrics.registry import register
from llmeval.metrics.scorer_result import interpret
from llmeval.metrics.values import check_options
from llmeval.providers.secrets import redact_json

DEFAULT_FUNCTION = "get_assert"  # promptfoo's default for a bare file://scorer.py


def resolve_target(value: Any, root: Path, suite_dir: Path | None = None) -> tuple[Path, str]:
    """``[file://]path.py[:function]`` -> (absolute path, function), checked now."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("'python' value must be 'file.py:function'")
    target = value.strip().removeprefix("file://")
    file, sep, function = target.rpartition(":")
    if not sep or not file.endswith(".py"):
        file, function = target, DEFAULT_FUNCTION
    if not file.endswith(".py"):
        raise ConfigError(f"'python' value '{value}' must name a .py file (inline code is not run)")
    if not function.isidentifier():
        raise ConfigError(f"'{function}' is not a valid function name")
    from llmeval.files import find_in_project  # the suite's folder, then the root

    path = find_in_project(file, what="python scorer", root=root, suite_dir=suite_dir)
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as e:
        raise ConfigError(f"python scorer '{file}' line {e.lineno}: {e.msg}") from None
    if function not in _top_level_names(tree):
        raise ConfigError(f"python scorer '{file}' defines no function '{function}'")
    return path, function


def _top_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def score_context(ctx: ScoreContext, config: Any) -> dict[str, Any]:
    """What the scorer sees: JSON-safe copies, never the engine's objects."""
    prompt = next((m.content for m in reversed(ctx.messages) if m.role == "user"), "")
    test = {
        "vars": dict(ctx.vars),
        "description": ctx.case.description,
        "id": ctx.case.id,
        "tags": list(ctx.case.tags),
    }
    return {
        "prompt": prompt,
        "test": test,
        "vars": dict(ctx.vars),
        "expected": ctx.expected,
        "case_id": ctx.case.id,
        "tags": list(ctx.case.tags),
        "model": ctx.model,
        "messages": [{"role": m.role, "content": m.content} for m in ctx.messages],
        "latency_ms": ctx.latency_ms,
        "cost_usd": ctx.cost_usd,
        "tokens": dict(ctx.tokens),
        "config": config,
    }


@register("python", kind="async", requires_value=True, description="your file.py:function scorer")
def _python(spec: AssertionSpec, build: BuildContext) -> Any:
    opts = check_options(spec, "timeout_s", "config")
    timeout = opts.get("timeout_s", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError("option 'timeout_s' must be a positive number of seconds")
    path, function = resolve_target(spec.value, build.root, build.suite_dir)
    root, config, label = build.root.resolve(), opts.get("config"), f"{spec.value}"

    async def fn(ctx: ScoreContext, services: Services) -> Score:
        request = {
            "file": str(path),
            "function": function,
            "output": ctx.output,
            "context": score_context(ctx, config),
        }
        try:
            # user code's answer enters llmeval here: redacted whole, like a provider's
            resp = redact_json(await run_scorer(root, request, float(timeout)))
        except ScorerError as e:
            return Score(passed=None, error=f"python scorer {label}: {e}")
        if not resp.get("ok"):
            return Score(
                passed=None,
                error=f"python scorer {label} raised {resp.get('error')}",
                details={"traceback": resp.get("tb", "")},
            )
        return interpret(resp.get("result"), spec.threshold)

    return fn
