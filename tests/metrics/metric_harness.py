"""Run one assertion end to end: registry.build -> metric -> apply.finalize."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from llmeval.domain.record import AssertionResult
from llmeval.domain.suite import AssertionSpec, Case
from llmeval.metrics import registry
from llmeval.metrics.apply import finalize
from llmeval.metrics.base import BuildContext, ScoreContext


def spec(type_: str, value: Any = None, **kw: Any) -> AssertionSpec:
    negate = type_.startswith("not-")
    return AssertionSpec(type=type_.removeprefix("not-"), value=value, negate=negate, **kw)


def check(
    type_: str,
    output: str,
    value: Any = None,
    *,
    threshold: float | None = None,
    options: dict[str, Any] | None = None,
    expected: Any = None,
    root: Path | None = None,
    **ctx_kw: Any,
) -> AssertionResult:
    s = spec(type_, value, threshold=threshold, options=options or {})
    defn, fn = registry.build(s, BuildContext(root=root or Path.cwd()))
    ctx = ScoreContext(output=output, case=Case(id="c1", expected=expected), **ctx_kw)
    raw = asyncio.run(fn(ctx, None)) if defn.kind == "async" else fn(ctx)
    return finalize(defn, s, raw)
