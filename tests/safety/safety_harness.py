"""Run one assertion end to end: registry.build -> metric -> apply.finalize."""

from __future__ import annotations

import asyncio
import json
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
    vars: dict[str, Any] | None = None,
    services: Any = None,
) -> AssertionResult:
    s = spec(type_, value, threshold=threshold, options=options or {})
    defn, fn = registry.build(s, BuildContext(root=Path.cwd()))
    ctx = ScoreContext(output=output, case=Case(id="c1", vars=vars or {}))
    raw = asyncio.run(fn(ctx, services)) if defn.kind == "async" else fn(ctx)
    return finalize(defn, s, raw)


def write_project(root: Path, settings: str, suite: str, prompt: str = "{{ message }}") -> Path:
    (root / "prompts" / "p").mkdir(parents=True)
    (root / "suites").mkdir()
    (root / "llmeval.yaml").write_text(settings, encoding="utf-8")
    (root / "prompts" / "p" / "v1.yaml").write_text(
        "description: test\nuser: " + json.dumps(prompt) + "\n", encoding="utf-8"
    )
    (root / "suites" / "s.yaml").write_text(suite, encoding="utf-8")
    return root
