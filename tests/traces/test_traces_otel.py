"""Trajectories from real OpenTelemetry spans: in-process around a python target, and over
OTLP/HTTP JSON from an HTTP app (its own process, the real SDK) to the run's receiver.
Both give the same trajectory and the same verdicts; 20 concurrent cases never mix;
a cached rerun replays the trajectory without asking the app."""

from __future__ import annotations

from pathlib import Path

import pytest
from traced_project import CASES, chats, free_port, http_app, shape, verdicts, write_project

from llmeval import api

PY = {"provider": "python", "target": "apps/agent/support_agent.py:run"}


def by_case(run: api.RunResult, model: str) -> dict[str, object]:
    return {r.case_id: r for r in run.results if r.model == model}


def test_python_target_and_http_app_give_the_same_trajectory_and_verdicts(tmp_path: Path) -> None:
    port = free_port()
    with http_app(free_port(), f"http://127.0.0.1:{port}") as url:
        http = {"provider": "http", "url": url + "/chat", "body": {"message": "{{ prompt }}"},
                "extract": {"output": "answer"}, "traces": "otlp", "otlp_port": port}  # fmt: skip
        project = write_project(tmp_path, {"py-agent": PY, "http-agent": http}, CASES)
        run = api.run(project, write=False)
    py, web = by_case(run, "py-agent"), by_case(run, "http-agent")
    assert set(py) == set(web) == {c["id"] for c in CASES}
    for case_id in py:
        a, b = py[case_id], web[case_id]
        assert a.trajectory and shape(a.trajectory) == shape(b.trajectory), case_id
        assert {s.source for s in a.trajectory} == {s.source for s in b.trajectory} == {"otel"}
        assert verdicts(a) == verdicts(b), case_id
        assert all(p is not None for _, p in verdicts(a)), case_id
    # the verdicts are the agent's real behaviour, not constants
    assert [p for _, p in verdicts(py["money-back"])] == [False, False]
    assert [p for _, p in verdicts(py["refund"])] == [True, True]
    refund = [s for s in py["refund"].trajectory if s.type == "tool"]
    assert [s.name for s in refund] == ["lookup_order", "search_faq", "issue_refund"]
    assert refund[2].arguments == {"amount": 45.5, "order_id": "BL-10002"}
    unknown = [s for s in web["unknown"].trajectory if s.type == "tool"]
    assert unknown[0].error == "no order BL-99999"  # from the span status, over OTLP


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_20_concurrent_python_cases_do_not_mix_spans(tmp_path: Path, kind: str) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "slow.py").write_text(
        "import asyncio, time\n"
        "from opentelemetry import trace\n"
        "tracer = trace.get_tracer('slow')\n"
        "def tool(i):\n"
        "    with tracer.start_as_current_span('execute_tool fetch') as s:\n"
        "        s.set_attribute('gen_ai.operation.name', 'execute_tool')\n"
        "        s.set_attribute('gen_ai.tool.call.arguments', '{\"i\": %s}' % i)\n"
        + (
            "def run(prompt):\n    i = int(prompt)\n    tool(i)\n    time.sleep(0.3)\n"
            "    tool(i)\n    return prompt\n"
            if kind == "sync"
            else "async def run(prompt):\n    i = int(prompt)\n    tool(i)\n"
            "    await asyncio.sleep(0.3)\n    tool(i)\n    return prompt\n"
        )
    )
    cases = [
        {"id": f"c{i}", "vars": {"message": str(i)},
         "assert": [{"type": "trajectory:tool-args-match", "value": {"name": "fetch", "args": {"i": i}}},
                    {"type": "trajectory:step-count", "value": {"min": 2, "max": 2}}]}
        for i in range(20)
    ]  # fmt: skip
    model = {"provider": "python", "target": "apps/slow.py:run", "concurrency": 20}
    project = write_project(tmp_path, {"slow": model}, cases, run={"concurrency": 20})
    run = api.run(project, write=False)
    assert len(run.results) == 20
    for r in run.results:
        i = int(r.case_id[1:])
        assert [s.arguments for s in r.trajectory] == [{"i": i}, {"i": i}], r.case_id
        assert r.status == "pass", r.assertions
    # they did overlap: 20 x 0.3 s one after another would take 6 s
    assert sum(r.latency_ms for r in run.results) / 1000 > 5.5
    assert max(r.latency_ms for r in run.results) < 3000


def test_20_concurrent_http_requests_do_not_mix_spans(tmp_path: Path) -> None:
    port = free_port()
    ids = [f"BL-1000{1 + i % 5}" for i in range(20)]
    cases = [
        {"id": f"c{i}", "vars": {"message": f"Where is my order {oid}? ({i})"},
         "assert": [{"type": "trajectory:tool-args-match",
                     "value": {"name": "lookup_order", "args": {"order_id": oid}, "mode": "exact"}},
                    {"type": "trajectory:tool-used", "value": {"name": "lookup_order", "max": 1}}]}
        for i, oid in enumerate(ids)
    ]  # fmt: skip
    with http_app(free_port(), f"http://127.0.0.1:{port}") as url:
        http = {"provider": "http", "url": url + "/chat", "body": {"message": "{{ prompt }}"},
                "extract": {"output": "answer"}, "traces": "otlp", "otlp_port": port,
                "concurrency": 20}  # fmt: skip
        run = api.run(
            write_project(tmp_path, {"web": http}, cases, {"concurrency": 20}), write=False
        )
    assert len(run.results) == 20
    for r in run.results:
        assert r.status == "pass", (r.case_id, r.assertions)
        assert sum(s.type == "span" for s in r.trajectory) == 1  # one invoke_agent per case


def test_cached_rerun_replays_the_trajectory_without_calling_the_app(tmp_path: Path) -> None:
    """Also: the receiver's URL reaches the app as {{ otlp_endpoint }} (a free port)."""
    with http_app(free_port(), None) as url:
        http = {"provider": "http", "url": url + "/chat",
                "body": {"message": "{{ prompt }}", "otlp": "{{ otlp_endpoint }}"},
                "extract": {"output": "answer"}, "traces": "otlp"}  # fmt: skip
        project = write_project(tmp_path, {"web": http}, CASES)
        first = api.run(project)
        asked = chats(url)
        second = api.run(project)
        assert chats(url) == asked == len(CASES)
    again = by_case(second, "web")
    assert set(again) == {c["id"] for c in CASES}
    for a in first.results:
        b = again[a.case_id]
        assert not a.cached and b.cached
        assert a.trajectory and shape(a.trajectory) == shape(b.trajectory)
        assert verdicts(a) == verdicts(b)


def test_an_app_that_sends_no_spans_leaves_the_trajectory_unscored(tmp_path: Path) -> None:
    """The wait is bounded: no spans by traces_wait_ms and the case has no trajectory."""
    port = free_port()
    with http_app(free_port(), None) as url:  # exports nowhere
        http = {"provider": "http", "url": url + "/chat", "body": {"message": "{{ prompt }}"},
                "extract": {"output": "answer"}, "traces": "otlp", "otlp_port": port,
                "traces_wait_ms": 300}  # fmt: skip
        run = api.run(write_project(tmp_path, {"web": http}, CASES[:1]), write=False)
    (r,) = run.results
    assert r.trajectory == () and r.output.startswith("Order BL-10001")
    assert all(a.passed is None for a in r.assertions)
    assert r.latency_ms < 300  # the wait for spans is not the app's latency
