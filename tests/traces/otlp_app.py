"""A small HTTP application for the tests, run as its own process: it answers
``POST /chat {"message": ..., "otlp": <endpoint>?, "report": bool?}`` with the bundled
support agent, traced with the real OpenTelemetry SDK, and exports its spans over
OTLP/HTTP: as JSON (posted by ``JsonExporter`` below: the SDK's own OTLP exporter speaks
protobuf only), or, with ENCODING ``protobuf`` / ``protobuf-gzip``, with the standard
``OTLPSpanExporter`` (``opentelemetry-exporter-otlp-proto-http``) as a real app would.

The W3C ``traceparent`` header llmeval sends is the parent of the agent's spans. The
endpoint is ``OTEL_EXPORTER_OTLP_ENDPOINT``, or the request's ``otlp`` field (llmeval's
``{{ otlp_endpoint }}``). ``GET /stats`` says how many chats it answered.

usage: python otlp_app.py PORT AGENT_FILE [json|protobuf|protobuf-gzip]
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import urllib.request
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult


def _value(v: Any) -> dict[str, Any]:
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list | tuple):
        return {"arrayValue": {"values": [_value(x) for x in v]}}
    return {"stringValue": str(v)}


def _attrs(d: Any) -> list[dict[str, Any]]:
    return [{"key": k, "value": _value(v)} for k, v in dict(d or {}).items()]


def otlp_json(spans: Sequence[ReadableSpan]) -> dict[str, Any]:
    out = []
    for s in spans:
        ctx = s.get_span_context()
        item: dict[str, Any] = {
            "traceId": format(ctx.trace_id, "032x"),
            "spanId": format(ctx.span_id, "016x"),
            "name": s.name,
            "kind": s.kind.value + 1,
            "startTimeUnixNano": str(s.start_time),
            "endTimeUnixNano": str(s.end_time),
            "attributes": _attrs(s.attributes),
            "events": [{"name": e.name, "timeUnixNano": str(e.timestamp),
                        "attributes": _attrs(e.attributes)} for e in s.events],
            "status": {"code": s.status.status_code.value,
                       "message": s.status.description or ""},
        }  # fmt: skip
        if s.parent is not None:
            item["parentSpanId"] = format(s.parent.span_id, "016x")
        out.append(item)
    return {
        "resourceSpans": [{
            "resource": {"attributes": _attrs({"service.name": "otlp-test-app"})},
            "scopeSpans": [{"scope": {"name": "support-agent"}, "spans": out}],
        }]
    }  # fmt: skip


class JsonExporter(SpanExporter):
    def __init__(self, endpoint: str) -> None:
        self.url = endpoint.rstrip("/") + "/v1/traces"

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        body = json.dumps(otlp_json(spans)).encode()
        req = urllib.request.Request(
            self.url, data=body, headers={"Content-Type": "application/json"}, method="POST"
        )
        try:
            urllib.request.urlopen(req, timeout=5).read()
        except OSError:
            return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS


def exporter_for(endpoint: str) -> SpanExporter:
    if ENCODING == "json":
        return JsonExporter(endpoint)
    from opentelemetry.exporter.otlp.proto.http import Compression
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    gzip = Compression.Gzip if ENCODING == "protobuf-gzip" else Compression.NoCompression
    return OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces", compression=gzip)


class Router(SpanExporter):
    """One exporter per endpoint: the request's own, else the environment's."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_trace: dict[int, str] = {}
        self.exporters: dict[str, SpanExporter] = {}
        self.default = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for s in spans:
            with self.lock:
                endpoint = self.by_trace.get(s.get_span_context().trace_id, self.default)
            if endpoint:
                with self.lock:
                    exporter = self.exporters.get(endpoint) or exporter_for(endpoint)
                    self.exporters[endpoint] = exporter
                exporter.export([s])
        return SpanExportResult.SUCCESS


ENCODING = sys.argv[3] if len(sys.argv) > 3 else "json"
ROUTER = Router()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(ROUTER))
trace.set_tracer_provider(provider)
STATS = {"chats": 0}


def load_agent(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("support_agent", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, obj: Any) -> None:
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._send(STATS)

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        STATS["chats"] += 1
        ctx = propagate.extract(dict(self.headers))
        parent = trace.get_current_span(ctx).get_span_context()
        if body.get("otlp"):
            with ROUTER.lock:
                ROUTER.by_trace[parent.trace_id] = body["otlp"]
        token = otel_context.attach(ctx)
        try:
            answer = AGENT.run(body["message"])
        finally:
            otel_context.detach(token)
        self._send({"answer": answer, "trace_id": format(parent.trace_id, "032x")})


if __name__ == "__main__":
    AGENT = load_agent(sys.argv[2])
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
