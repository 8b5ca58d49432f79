"""Builders for report inputs: results, a run manifest, a comparison."""

from __future__ import annotations

from typing import Any

from llmeval.domain.record import AssertionResult, CaseResult, ErrorInfo


def result(
    case_id: str = "refund-window",
    *,
    suite: str = "support-faq",
    model: str = "gpt-mini",
    prompt: str = "support@v2",
    status: str = "pass",
    score: float | None = 1.0,
    output: str | None = "You can return items within 30 days.",
    repeat: int = 0,
    **kw: Any,
) -> CaseResult:
    defaults: dict[str, Any] = {
        "assertions": (
            AssertionResult(
                "icontains",
                "pass" if status == "pass" else "fail",
                1.0 if status == "pass" else 0.0,
                "looked for '30 days'",
            ),
        ),
        "latency_ms": 420.0,
        "tokens": {"input": 120, "output": 12},
        "cost_usd": 0.00012,
        "expected": "You can return items within 30 days.",
        "vars": {"question": "How long do I have to return an item?"},
        "messages": (
            {"role": "system", "content": "You are a concise support agent."},
            {"role": "user", "content": "Question: How long do I have to return an item?"},
        ),
        "tags": ("billing",),
        "model_id": "gpt-4o-mini-2024-07-18",
    }
    defaults.update(kw)
    return CaseResult(
        run_id="run-cand",
        suite=suite,
        case_id=case_id,
        model=model,
        prompt=prompt,
        prompt_sha="0123456789abcdef",
        repeat=repeat,
        status=status,
        score=score,
        output=output,
        **defaults,
    )


def meta(run_id: str = "run-cand", **kw: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "run_id": run_id,
        "started_at": "2024-11-27T04:00:00Z",
        "finished_at": "2024-11-27T04:01:40Z",
        "llmeval_version": "0.1.0",
        "git_sha": "deadbeefcafe1234",
        "models": {
            "gpt-mini": {
                "provider": "openai",
                "model": "gpt-4o-mini",
                "model_id": "gpt-4o-mini-2024-07-18",
            }
        },
        "prompts": {"support@v2": "0123456789abcdef"},
        "summary": {},
    }
    m.update(kw)
    return m


def case_change(r: CaseResult, change: str, base_output: str | None, **kw: Any) -> dict:
    d = {
        "suite": r.suite,
        "case_id": r.case_id,
        "model": r.model,
        "prompt": r.prompt,
        "change": change,
        "base_status": "pass",
        "cand_status": r.status,
        "base_score": 1.0,
        "cand_score": r.score,
        "base_output": base_output,
        "cand_output": r.output,
        "critical": False,
    }
    d.update(kw)
    return d


def comparison(cases: list[dict], *, passed: bool = False, **kw: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "base": {"run_id": "run-base", "label": "main"},
        "cand": {"run_id": "run-cand", "label": "PR 42"},
        "changes": ["prompt support v1 → v2"],
        "gate": {"passed": passed, "reasons": [] if passed else ["1 critical case regressed"]},
        "metrics": [],
        "cases": cases,
        "counts": {},
    }
    c.update(kw)
    return c


def mixed_run() -> tuple[list[CaseResult], dict[str, Any], dict[str, Any]]:
    """A small run with every status and change kind, against a baseline."""
    results = [
        result(
            "refund-window",
            status="fail",
            score=0.2,
            output="You can return items within 14 days.",
            assertions=(
                AssertionResult("icontains", "fail", 0.0, "'30 days' not found"),
                AssertionResult(
                    "llm-rubric", "fail", 0.2, "The judge says: window is wrong (14 vs 30)."
                ),
            ),
        ),
        result("shipping-time", suite="support-faq", tags=("shipping",)),
        result("greeting", model="local-llama", tags=("tone",), output="Hello there, friend!"),
        result(
            "timeout-case",
            status="error",
            score=None,
            output=None,
            error=ErrorInfo("timeout", "provider timed out after 60 s"),
        ),
        result("label-1", suite="classify", status="pass", tags=("labels",)),
        result("label-2", suite="classify", status="skipped", score=None),
        result("flaky-one", status="pass", repeat=0),
        result("flaky-one", status="fail", score=0.0, repeat=1),
    ]
    changes = [
        case_change(results[0], "regressed", "You can return items within 30 days.", critical=True),
        case_change(results[1], "unchanged", results[1].output, base_status="pass"),
        case_change(results[2], "new", None, base_status=None, base_score=None),
        case_change(results[3], "errored", "You can return items within 30 days."),
        case_change(results[4], "fixed", "wrong label", base_status="fail", base_score=0.0),
        case_change(results[6], "flaky", results[6].output),
        {
            "suite": "support-faq",
            "case_id": "old-case",
            "model": "gpt-mini",
            "prompt": "support@v2",
            "change": "removed",
            "base_status": "pass",
            "cand_status": None,
            "base_score": 1.0,
            "cand_score": None,
            "base_output": "an answer from the old run",
            "cand_output": None,
            "critical": False,
        },
    ]
    metrics = [
        {
            "suite": "support-faq",
            "model": "gpt-mini",
            "prompt": "support@v2",
            "metric": "score",
            "n": 5,
            "base_mean": 0.95,
            "cand_mean": 0.7,
            "delta": -0.25,
            "ci_low": -0.4,
            "ci_high": -0.1,
            "p_value": 0.01,
            "p_adjusted": 0.02,
            "significant": True,
            "base_ci": [0.8, 1.0],
            "cand_ci": [0.5, 0.9],
        },
    ]
    return results, meta(), comparison(changes, metrics=metrics)


def verdict_of(gate: dict) -> object:
    """A verdict with these reasons (passed when it has none), for render_html."""
    from llmeval.analysis.gate import Reason, Verdict

    if gate is None:
        return None
    if gate.get("passed"):
        return Verdict("passed", 0)
    return Verdict("failed", 1, tuple(Reason("test", str(r)) for r in gate.get("reasons", ())))


LONG_SUITE = "customer-support-regression/billing_and_invoicing"
LONG_MODEL = "gpt-4o-mini-2024-07-18.finetuned@support-team"
LONG_PROMPT = "support-agent-system-prompt@v12"
LONG_CASE = "refund-window-for-international-orders-with-partial-shipment_and_store_credit"


def long_ids_run() -> tuple[list[CaseResult], dict[str, Any], dict[str, Any]]:
    """Long ids everywhere and one critical regression whose candidate fails two
    assertions and errors a third, against a baseline."""
    from llmeval.domain.record import ErrorInfo

    ids = {"suite": LONG_SUITE, "model": LONG_MODEL, "prompt": LONG_PROMPT}
    regressed = result(
        LONG_CASE,
        status="fail",
        score=0.0,
        output="Refunds for internationalization-affected orders take 14 days.",
        assertions=(
            AssertionResult("icontains", "fail", 0.0, "output does not contain '30 days'"),
            AssertionResult("regex", "fail", 0.0, 'output does not match regex "(?i)store credit"'),
            AssertionResult(
                "python", "error", None, "scorer raised KeyError: 'crm_id'", kind="scorer"
            ),
            AssertionResult("latency", "pass", 1.0, "420 ms <= 2000 ms"),
        ),
        error=None,
        **ids,
    )
    errored = result(
        "shipping-estimate-for-remote-islands_and_po-boxes",
        status="error",
        score=None,
        output=None,
        error=ErrorInfo("target", "KeyError: 'crm_id' in apps/support_agent.py:handle"),
        **ids,
    )
    ok = [result(f"internationalization-case-{i:02d}_long-identifier.v2", **ids) for i in range(6)]
    results = [regressed, errored, *ok]
    changes = [
        case_change(regressed, "regressed", "Refunds take 30 days.", critical=True),
        case_change(errored, "errored", "Two weeks."),
        *(case_change(r, "unchanged", r.output) for r in ok),
    ]
    m = meta(
        run_id="candidate-run_2024-11-27T04.00.00_pull-request-4242",
        models={LONG_MODEL: {"provider": "openai", "model": "gpt-4o-mini"}},
        prompts={LONG_PROMPT: "0123456789abcdef"},
    )
    comp = comparison(
        changes,
        base={"run_id": "baseline-run_2024-11-20T04.00.00_main", "label": "main@nightly"},
        cand={"run_id": m["run_id"], "label": "pull-request-4242/feature_refunds"},
    )
    return results, m, comp


def agent_result(payload: str = "<script>alert(1)</script>") -> CaseResult:
    """A tool loop over two turns: tool calls, a trajectory and the whole history, with
    ``payload`` in a tool argument, a tool output and a message."""
    from llmeval.domain.tools import ToolCall
    from llmeval.domain.trajectory import Step

    call = ToolCall("lookup_order", {"order_id": "A-17", "note": payload}, id="call_1")
    bad = ToolCall("refund", None, id="call_2", raw_arguments='{"amount": 12,' + payload)
    return result(
        "agent-refund",
        suite="agent",
        prompt="agent@v1",
        status="fail",
        score=0.5,
        output="Your refund of $12 is on its way.",
        tool_calls=(call, bad),
        trajectory=(
            Step("model", "gpt-mini", output="calling lookup_order", duration_ms=12.0),
            Step(
                "tool",
                "lookup_order",
                arguments={"order_id": "A-17", "note": payload},
                output=f"order A-17: 1 mug {payload}",
                duration_ms=3.5,
            ),
            Step("tool", "refund", error=f"ValueError: bad amount {payload}", source="otel"),
        ),
        messages=(
            {"role": "system", "content": "You are a support agent with tools."},
            {"role": "user", "content": "Where is my order A-17?"},
            {"role": "assistant", "content": "", "tool_calls": [call.to_json()]},
            {"role": "tool", "content": f"order A-17: 1 mug {payload}", "tool_call_id": "call_1"},
            {"role": "assistant", "content": "It shipped yesterday."},
            {"role": "user", "content": f"Refund it please {payload}"},
            {"role": "assistant", "content": "Your refund of $12 is on its way."},
        ),
        assertions=(
            AssertionResult("tool-call", "pass", 1.0, "called lookup_order", turn=0),
            AssertionResult("icontains", "pass", 1.0, "found 'shipped'", turn=0),
            AssertionResult("not-icontains", "fail", 0.0, f"found {payload}", turn=1),
            AssertionResult("trajectory:step-count", "pass", 1.0, "3 steps <= 5"),
        ),
    )
