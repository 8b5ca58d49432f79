from __future__ import annotations

from typing import Any

import pytest

from llmeval.domain.record import AssertionResult, CaseResult, ErrorInfo


def make_result(
    case_id: str,
    status: str,
    *,
    run_id: str = "run",
    suite: str = "s",
    model: str = "m",
    prompt: str = "p@v1",
    repeat: int = 0,
    score: float | str | None = "auto",
    output: str | None = None,
    assertions: tuple[AssertionResult, ...] | None = None,
    tags: tuple[str, ...] = (),
    **kw: Any,
) -> CaseResult:
    if score == "auto":
        score = {"pass": 1.0, "fail": 0.0}.get(status)
    if assertions is None and status in ("pass", "fail"):
        assertions = (AssertionResult("contains", "pass" if status == "pass" else "fail", score),)
    error = ErrorInfo("transient", "HTTP 500") if status == "error" else None
    return CaseResult(
        run_id=run_id,
        suite=suite,
        case_id=case_id,
        model=model,
        prompt=prompt,
        prompt_sha="sha-" + prompt,
        repeat=repeat,
        status=status,
        score=score,  # type: ignore[arg-type]
        output=output if output is not None else f"answer to {case_id}",
        assertions=assertions or (),
        error=error,
        tags=tags,
        **kw,
    )


@pytest.fixture
def mk():
    return make_result


@pytest.fixture
def flips_fixture():
    """60 cases: 7 go pass -> fail, 2 go fail -> pass, the rest keep their status."""
    base, cand = [], []
    for i in range(60):
        b = "pass" if i < 50 else "fail"
        if i < 7:
            c = "fail"
        elif i in (50, 51):
            c = "pass"
        else:
            c = b
        base.append(make_result(f"c{i:02d}", b, run_id="base"))
        cand.append(make_result(f"c{i:02d}", c, run_id="cand"))
    return base, cand
