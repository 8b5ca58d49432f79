"""The other ways a trajectory arrives: a python target's return value, an http answer's
``extract.trajectory``; an application's own TracerProvider; the receiver's protocol;
``traces`` settings validated with file:line."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from traced_project import write_project

from llmeval import api
from llmeval.traces import receiver

REPORTED = [
    {"type": "tool", "name": "lookup_order", "arguments": {"order_id": "BL-1"}, "output": "ok"},
    {
        "type": "tool",
        "name": "issue_refund",
        "arguments": '{"order_id": "BL-1"}',
        "error": "denied",
    },
]
ASSERTS = [
    {"type": "trajectory:tool-sequence", "value": {"mode": "exact", "steps": ["lookup_order", "issue_refund"]}},
    {"type": "trajectory:tool-args-match", "value": {"name": "issue_refund", "args": {"order_id": "BL-2"}}},
]  # fmt: skip


def test_python_target_reports_its_trajectory(tmp_path: Path) -> None:
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "rep.py").write_text(
        f"def run(prompt):\n    return {{'output': 'done', 'trajectory': {REPORTED!r}}}\n"
    )
    model = {"provider": "python", "target": "apps/rep.py:run"}
    cases = [{"id": "a", "vars": {"message": "x"}, "assert": ASSERTS}]
    (r,) = api.run(write_project(tmp_path, {"rep": model}, cases), write=False).results
    assert [(s.name, s.source, s.error) for s in r.trajectory] == [
        ("lookup_order", "target", None),
        ("issue_refund", "target", "denied"),
    ]
    assert [a.passed for a in r.assertions] == [True, False]


def test_http_answer_trajectory_by_jmespath(tmp_path: Path, fake_server) -> None:
    fake_server.script({"text": "done", "trajectory": REPORTED})
    model = {"provider": "http", "url": fake_server.url + "/app/chat",
             "body": {"question": "{{ prompt }}"},
             "extract": {"output": "answer.text", "trajectory": "steps"}}  # fmt: skip
    cases = [{"id": "a", "vars": {"message": "x"}, "assert": ASSERTS}]
    (r,) = api.run(write_project(tmp_path, {"web": model}, cases), write=False).results
    assert r.output == "done"
    assert [(s.name, s.source) for s in r.trajectory] == [
        ("lookup_order", "target"),
        ("issue_refund", "target"),
    ]
    assert [a.passed for a in r.assertions] == [True, False]
    # without traces: otlp no traceparent is sent
    assert all("traceparent" not in q.headers for q in fake_server.requests)


def test_traces_otlp_sends_a_fresh_w3c_traceparent_per_request(tmp_path: Path, fake_server) -> None:
    fake_server.script("one", "two")
    model = {"provider": "http", "url": fake_server.url + "/app/chat",
             "body": {"question": "{{ prompt }}"}, "extract": {"output": "answer.text"},
             "traces": "otlp", "traces_wait_ms": 50}  # fmt: skip
    cases = [{"id": c, "vars": {"message": c}} for c in ("a", "b")]
    api.run(write_project(tmp_path, {"web": model}, cases), write=False)
    sent = [q.headers["traceparent"] for q in fake_server.requests if q.path == "/app/chat"]
    assert len(sent) == 2 and len({t.split("-")[1] for t in sent}) == 2
    assert all(re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-01", t) for t in sent)


def test_an_apps_own_tracer_provider_keeps_its_exporter_and_llmeval_captures_too(
    tmp_path: Path,
) -> None:
    """The target configured an SDK TracerProvider at import: llmeval adds its collector
    to it; the app's exporter still gets every span (and llmeval's case span)."""
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "own.py").write_text(
        "import os\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult\n"
        "class File(SpanExporter):\n"
        "    def export(self, spans):\n"
        "        with open(os.environ['SPAN_LOG'], 'a') as f:\n"
        "            f.writelines(s.name + '\\n' for s in spans)\n"
        "        return SpanExportResult.SUCCESS\n"
        "provider = TracerProvider()\n"
        "provider.add_span_processor(SimpleSpanProcessor(File()))\n"
        "trace.set_tracer_provider(provider)\n"
        "tracer = trace.get_tracer('own')\n"
        "def run(prompt):\n"
        "    with tracer.start_as_current_span('execute_tool search') as s:\n"
        "        s.set_attribute('gen_ai.operation.name', 'execute_tool')\n"
        "    return 'ok'\n"
    )
    model = {"provider": "python", "target": "apps/own.py:run"}
    cases = [{"id": "a", "vars": {"message": "x"},
              "assert": [{"type": "trajectory:tool-used", "value": "search"}]}]  # fmt: skip
    project = write_project(tmp_path, {"own": model}, cases)
    log = tmp_path / "spans.log"
    env = {**os.environ, "SPAN_LOG": str(log), "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "llmeval", "run", "--json", "--no-report", "-q"],
        cwd=project, capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert log.read_text().split() == ["execute_tool", "search", "llmeval.case"]
    journal = next((project / ".llmeval" / "runs").glob("*/results.jsonl"))
    rec = json.loads(journal.read_text().splitlines()[0])
    assert [s["name"] for s in rec["trajectory"]] == ["search"]


def _post(url: str, body: bytes, kind: str) -> int:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": kind}, method="POST")
    try:
        return int(urllib.request.urlopen(req, timeout=5).status)
    except urllib.error.HTTPError as e:
        return int(e.code)


async def test_receiver_protocol_and_bounded_collect() -> None:
    r = receiver.acquire(0)
    try:
        assert receiver.acquire(0) is r  # one shared receiver
        receiver.release(r)
        trace_id, parent = "ab" * 16, "cd" * 8
        span = {"traceId": trace_id, "spanId": "ef" * 8, "parentSpanId": parent, "name": "top"}
        other = {"traceId": "12" * 16, "spanId": "34" * 8, "name": "not waited for"}
        doc = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span, other]}]}]}).encode()
        url = r.endpoint + "/v1/traces"
        assert _post(url, doc, "text/plain") == 415
        assert _post(url, doc, "application/x-protobuf") == 400  # JSON is not a protobuf message
        assert _post(r.endpoint + "/v1/logs", doc, "application/json") == 404
        assert _post(url, b"{not json", "application/json") == 400
        r.expect(trace_id)
        assert _post(url, doc, "application/json; charset=utf-8") == 200
        got = await r.collect(trace_id, parent, wait_s=2.0)
        assert [s.name for s in got] == ["top"]
        assert await r.collect("12" * 16, parent, wait_s=0.05) == []  # never kept
    finally:
        receiver.release(r)


@pytest.mark.parametrize(
    ("model", "key", "message"),
    [
        ({"provider": "echo", "traces": "otel"}, "traces", "does not fit provider echo"),
        ({"provider": "python", "target": "apps/agent/support_agent.py:run", "traces": "otlp"},
         "traces", "use otel or off"),
        ({"provider": "http", "url": "http://127.0.0.1:9/x", "otlp_port": 4318}, "otlp_port",
         "needs 'traces: otlp'"),
        ({"provider": "http", "url": "http://127.0.0.1:9/x", "extract": {"trajectory": "a[?"}},
         "trajectory", "does not compile"),
    ],
)  # fmt: skip
def test_traces_settings_are_validated_with_file_line(tmp_path: Path, model, key, message) -> None:
    project = write_project(tmp_path, {"m": model}, [{"id": "a", "vars": {"message": "x"}}])
    text = (project / "llmeval.yaml").read_text().splitlines()
    line = next(i for i, ln in enumerate(text, 1) if ln.strip().startswith(f"{key}:"))
    proc = subprocess.run(
        [sys.executable, "-m", "llmeval", "validate"], cwd=project, capture_output=True, text=True
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 4, out
    assert f"llmeval.yaml:{line}:" in out and message in out, out


def test_a_secret_in_a_span_never_reaches_the_trajectory(tmp_path: Path, monkeypatch) -> None:
    secret = "sk-canary-TRACE-5e1f0c9a7b3d"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    (tmp_path / "apps").mkdir()
    (tmp_path / "apps" / "leaky.py").write_text(
        "import os\n"
        "from opentelemetry import trace\n"
        "tracer = trace.get_tracer('leaky')\n"
        "def run(prompt):\n"
        "    with tracer.start_as_current_span('execute_tool call_api') as s:\n"
        "        s.set_attribute('gen_ai.operation.name', 'execute_tool')\n"
        "        key = os.environ['OPENAI_API_KEY']\n"
        "        s.set_attribute('gen_ai.tool.call.arguments', '{\"key\": \"%s\"}' % key)\n"
        "        s.set_attribute('gen_ai.tool.call.result', 'used ' + key)\n"
        "        s.set_attribute('http.header', key)\n"
        "    return 'ok'\n"
    )
    # the target's worker gets the key only through pass_env; it is still a secret
    model = {"provider": "python", "target": "apps/leaky.py:run", "pass_env": ["OPENAI_API_KEY"]}
    cases = [{"id": "a", "vars": {"message": "x"}}]
    project = write_project(tmp_path, {"leaky": model}, cases)
    (r,) = api.run(project).results
    (step,) = r.trajectory
    assert step.arguments == {"key": "[REDACTED]"} and step.output == "used [REDACTED]"
    journal = next((project / ".llmeval" / "runs").glob("*/results.jsonl")).read_text()
    assert secret not in journal and "[REDACTED]" in journal
