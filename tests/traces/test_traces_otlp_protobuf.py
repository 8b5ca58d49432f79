"""OTLP/HTTP protobuf, what the standard exporters send: an HTTP app exporting with the
real ``OTLPSpanExporter`` (plain and gzip) gives the same trajectory and verdicts as one
exporting JSON; the receiver reads protobuf with the same size limits and errors."""

from __future__ import annotations

import gzip
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Status
from traced_project import CASES, free_port, http_app, shape, verdicts, write_project

from llmeval import api
from llmeval.traces import receiver
from llmeval.traces.otlp_proto import spans_from_otlp_protobuf

ENCODINGS = ("json", "protobuf", "protobuf-gzip")


def test_protobuf_exporter_gives_the_same_trajectory_and_verdicts_as_json(tmp_path: Path) -> None:
    port = free_port()  # one receiver shared by the three apps
    endpoint = f"http://127.0.0.1:{port}"
    with (
        http_app(free_port(), endpoint, "json") as json_url,
        http_app(free_port(), endpoint, "protobuf") as pb_url,
        http_app(free_port(), endpoint, "protobuf-gzip") as gz_url,
    ):
        models = {
            name: {"provider": "http", "url": url + "/chat", "body": {"message": "{{ prompt }}"},
                   "extract": {"output": "answer"}, "traces": "otlp", "otlp_port": port}
            for name, url in zip(ENCODINGS, (json_url, pb_url, gz_url), strict=True)
        }  # fmt: skip
        run = api.run(write_project(tmp_path, models, CASES), write=False)
    by = {(r.model, r.case_id): r for r in run.results}
    assert len(by) == len(ENCODINGS) * len(CASES)
    for case in CASES:
        want = by[("json", case["id"])]
        assert want.trajectory and all(p is not None for _, p in verdicts(want)), case["id"]
        for enc in ENCODINGS[1:]:
            got = by[(enc, case["id"])]
            assert shape(got.trajectory) == shape(want.trajectory), (enc, case["id"])
            assert verdicts(got) == verdicts(want), (enc, case["id"])
            assert {s.source for s in got.trajectory} == {"otel"}
    # real behaviour, read from protobuf: the failed lookup's status and the refund's arguments
    unknown = [s for s in by[("protobuf", "unknown")].trajectory if s.type == "tool"]
    assert unknown[0].error == "no order BL-99999"
    refund = [s for s in by[("protobuf-gzip", "refund")].trajectory if s.type == "tool"]
    assert refund[2].arguments == {"amount": 45.5, "order_id": "BL-10002"}
    assert [p for _, p in verdicts(by[("protobuf", "money-back")])] == [False, False]


def _request(trace_id: str, parent: str) -> ExportTraceServiceRequest:
    req = ExportTraceServiceRequest()
    spans = req.resource_spans.add().scope_spans.add().spans
    top = spans.add(name="top", trace_id=bytes.fromhex(trace_id), span_id=bytes.fromhex("ef" * 8),
                    parent_span_id=bytes.fromhex(parent), start_time_unix_nano=10**18,
                    end_time_unix_nano=10**18 + 5_000_000)  # fmt: skip
    top.status.code = Status.STATUS_CODE_ERROR
    top.status.message = "boom"
    attr = top.attributes.add(key="gen_ai.usage.input_tokens")
    attr.value.int_value = 12
    spans.add(name="other", trace_id=bytes.fromhex("12" * 16), span_id=bytes.fromhex("34" * 8))
    return req


def test_protobuf_request_is_read_like_its_json() -> None:
    spans = spans_from_otlp_protobuf(_request("ab" * 16, "cd" * 8).SerializeToString())
    top = spans[0]
    ids = ("top", "ab" * 16, "ef" * 8, "cd" * 8)
    assert (top.name, top.trace_id, top.span_id, top.parent_span_id) == ids
    assert (top.status, top.status_message) == ("error", "boom")
    assert top.attributes == {"gen_ai.usage.input_tokens": 12}
    assert top.end_ns - top.start_ns == 5_000_000
    assert [s.name for s in spans] == ["top", "other"]


def _post(url: str, body: bytes, kind: str, encoding: str | None = None) -> int:
    headers = {"Content-Type": kind} | ({"Content-Encoding": encoding} if encoding else {})
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)


@pytest.mark.parametrize("encoding", [None, "gzip", "deflate"])
async def test_receiver_accepts_protobuf_plain_and_compressed(encoding: str | None) -> None:
    r = receiver.acquire(0)
    try:
        trace_id, parent = "ab" * 16, "cd" * 8
        body = _request(trace_id, parent).SerializeToString()
        sent = {None: body, "gzip": gzip.compress(body), "deflate": zlib.compress(body)}[encoding]
        r.expect(trace_id)
        assert _post(r.endpoint + "/v1/traces", sent, "application/x-protobuf", encoding) == 200
        got = await r.collect(trace_id, parent, wait_s=2.0)
        assert [s.name for s in got] == ["top"]  # the other trace is not waited for
    finally:
        receiver.release(r)


def test_receiver_refuses_bad_bodies_with_the_right_status(monkeypatch) -> None:
    monkeypatch.setattr(receiver, "MAX_BODY", 4096)
    r = receiver.acquire(0)
    try:
        url = r.endpoint + "/v1/traces"
        good = _request("ab" * 16, "cd" * 8).SerializeToString()
        pb = "application/x-protobuf"
        assert _post(url, b"\xff\xff\xff\xff", pb) == 400  # not a protobuf message
        assert _post(url, gzip.compress(good)[:-8], pb, "gzip") == 400  # truncated
        assert _post(url, good, pb, "gzip") == 400  # says gzip, is not
        assert _post(url, good, pb, "br") == 415
        assert _post(url, good, "text/plain") == 415
        assert _post(url, b"x" * 5000, pb) == 413  # over the limit as sent
        bomb = gzip.compress(b"\0" * 1_000_000)  # ~1 kB that inflates to 1 MB
        assert len(bomb) < 4096 and _post(url, bomb, pb, "gzip") == 413
        empty = gzip.compress(b'{"resourceSpans": []}')
        assert _post(url, empty, "application/json", "gzip") == 200
    finally:
        receiver.release(r)
