"""A local OTLP/HTTP receiver for the spans of HTTP targets (``traces: otlp``).

Started on first use by an http model that opts in, on 127.0.0.1 (``otlp_port``, or a
free port), in a daemon thread; shared by every such model on that port and stopped
when the last one closes. It accepts ``POST /v1/traces`` with an
``ExportTraceServiceRequest`` as ``application/x-protobuf`` (what the standard OTLP/HTTP
exporters send) or ``application/json`` (the OTLP JSON encoding), optionally
``Content-Encoding: gzip`` or ``deflate``; other content types get 415.

Only spans of trace ids a request is waiting for are kept: the provider registers the
trace id it sends in ``traceparent`` before the request, and collects (bounded wait)
after the answer.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llmeval.traces.otlp import spans_from_otlp_json
from llmeval.traces.otlp_proto import BodyError, decompress, spans_from_otlp_protobuf
from llmeval.traces.spans import SpanRecord

MAX_BODY = 32 * 1024 * 1024  # as sent, and again once decompressed
_JSON, _PROTOBUF = "application/json", "application/x-protobuf"
SETTLE_S = 0.05  # after the app's top span arrived: time for stragglers of other batches
POLL_S = 0.005


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # no stderr noise
        pass

    def _reply(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        if self.path.split("?")[0].rstrip("/") != "/v1/traces":
            self._reply(404, {"error": "only POST /v1/traces"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if length <= 0 or length > MAX_BODY:
            self._reply(413 if length > MAX_BODY else 400, {"error": "bad body size"})
            return
        body = self.rfile.read(length)
        kind = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if kind not in (_JSON, _PROTOBUF):
            self._reply(415, {"error": f"send OTLP as {_PROTOBUF} or {_JSON}"})
            return
        try:
            body = decompress(body, self.headers.get("Content-Encoding") or "", MAX_BODY)
            if kind == _PROTOBUF:
                spans = spans_from_otlp_protobuf(body)
            else:
                try:
                    spans = spans_from_otlp_json(json.loads(body))
                except ValueError:
                    raise BodyError("body is not JSON") from None
        except BodyError as e:
            self._reply(e.status, {"error": str(e)})
            return
        self.server.owner.add(spans)
        if kind == _PROTOBUF:  # an empty ExportTraceServiceResponse, in the request's encoding
            self.send_response(200)
            self.send_header("Content-Type", _PROTOBUF)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._reply(200, {"partialSuccess": {}})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # apps export a span per request thread at once (SimpleSpanProcessor, c=20 and up):
    # the default backlog of 5 makes the kernel drop their connections, and an exporter
    # that retries past its timeout loses the span
    request_queue_size = 256
    owner: Receiver


class Receiver:
    def __init__(self, port: int = 0) -> None:
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.owner = self
        self.port = int(self._server.server_address[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._waiting: dict[str, list[SpanRecord]] = {}
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="llmeval-otlp", daemon=True
        )
        self._thread.start()

    def add(self, spans: list[SpanRecord]) -> None:
        with self._lock:
            for s in spans:
                bucket = self._waiting.get(s.trace_id)
                if bucket is not None:
                    bucket.append(s)

    def expect(self, trace_id: str) -> None:
        with self._lock:
            self._waiting.setdefault(trace_id, [])

    def forget(self, trace_id: str) -> None:
        with self._lock:
            self._waiting.pop(trace_id, None)

    def _snapshot(self, trace_id: str) -> list[SpanRecord]:
        with self._lock:
            return list(self._waiting.get(trace_id, ()))

    async def collect(self, trace_id: str, parent_span_id: str, wait_s: float) -> list[SpanRecord]:
        """The spans of ``trace_id``: waits (at most ``wait_s``) until a span whose parent
        is the one llmeval sent (the app's top span, which ends last) has arrived, then
        ``SETTLE_S`` more; what arrived by the deadline otherwise. Forgets the trace."""
        deadline = time.monotonic() + wait_s
        settle_at: float | None = None
        try:
            while True:
                now = time.monotonic()
                spans = self._snapshot(trace_id)
                if settle_at is None and any(s.parent_span_id == parent_span_id for s in spans):
                    settle_at = min(now + SETTLE_S, deadline)
                if now >= deadline or (settle_at is not None and now >= settle_at):
                    return spans
                await asyncio.sleep(POLL_S)
        finally:
            self.forget(trace_id)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


_registry_lock = threading.Lock()
_running: dict[int, tuple[Receiver, int]] = {}  # requested port -> (receiver, users)


def acquire(port: int = 0) -> Receiver:
    """The run's receiver on ``port`` (0: one shared receiver on a free port)."""
    with _registry_lock:
        found = _running.get(port)
        if found is not None:
            _running[port] = (found[0], found[1] + 1)
            return found[0]
        receiver = Receiver(port)
        _running[port] = (receiver, 1)
        return receiver


def release(receiver: Receiver) -> None:
    with _registry_lock:
        for port, (r, users) in list(_running.items()):
            if r is receiver:
                if users > 1:
                    _running[port] = (r, users - 1)
                    return
                del _running[port]
                break
        else:
            return
    receiver.close()
