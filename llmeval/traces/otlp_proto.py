"""OTLP/HTTP protobuf (``application/x-protobuf``) and compressed bodies -> spans.

The standard exporters (``opentelemetry-exporter-otlp-proto-http`` and most SDKs) send
a serialized ``ExportTraceServiceRequest``, optionally gzip- or deflate-compressed. The
message is decoded with ``opentelemetry-proto`` (imported here, on first protobuf body)
and mapped to the protocol's JSON form by protobuf's own ``MessageToDict``, so one
reader (``otlp.spans_from_otlp_json``: base64 ids, enum status names, int64 as strings)
turns both encodings into ``SpanRecord``s.
"""

from __future__ import annotations

import zlib

from llmeval.traces.otlp import spans_from_otlp_json
from llmeval.traces.spans import SpanRecord


class BodyError(ValueError):
    """A body that cannot be read: the receiver answers 400 (or 413 when too large)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def decompress(body: bytes, encoding: str, limit: int) -> bytes:
    """``body`` as sent under ``Content-Encoding: encoding`` (identity, gzip, deflate),
    never more than ``limit`` bytes once inflated (a small gzip can expand a thousandfold)."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == "deflate":
        wbits = zlib.MAX_WBITS  # the HTTP "deflate" coding is zlib-wrapped
    else:
        raise BodyError(f"unsupported Content-Encoding {encoding!r} (use gzip or none)", 415)
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as e:
        raise BodyError(f"body is not valid {encoding}: {e}") from None
    if len(out) > limit:
        raise BodyError("body too large once decompressed", 413)
    if not inflater.eof:
        raise BodyError(f"body is truncated {encoding}")
    return out


def spans_from_otlp_protobuf(body: bytes) -> list[SpanRecord]:
    """Every well-formed span of one serialized ``ExportTraceServiceRequest``."""
    from google.protobuf.json_format import MessageToDict
    from google.protobuf.message import DecodeError
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest()
    try:
        request.ParseFromString(body)
    except DecodeError:
        raise BodyError("body is not an OTLP ExportTraceServiceRequest (protobuf)") from None
    return spans_from_otlp_json(MessageToDict(request))
