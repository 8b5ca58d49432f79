"""OTLP/HTTP JSON (an ``ExportTraceServiceRequest``) -> ``SpanRecord``s (pure).

The JSON encoding of the OpenTelemetry protocol: ``resourceSpans[].scopeSpans[].spans[]``
with hex ``traceId`` / ``spanId``, ``startTimeUnixNano`` as a decimal string, typed
``attributes`` (``{"key", "value": {"stringValue" | "intValue" | ...}}``) and
``status.code`` 0 unset / 1 ok / 2 error. Ids written base64 (protobuf's generic JSON
mapping, as some encoders do) are read too. Malformed parts are skipped, never raised:
this is data sent by the application under test.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from llmeval.traces.spans import SpanRecord

_HEX = re.compile(r"^[0-9a-fA-F]+$")
_STATUS = {
    0: "unset",
    1: "ok",
    2: "error",
    "STATUS_CODE_UNSET": "unset",
    "STATUS_CODE_OK": "ok",
    "STATUS_CODE_ERROR": "error",
}


def _id(value: Any, size: int) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if len(value) == size * 2 and _HEX.match(value):
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == size else None


def any_value(v: Any) -> Any:
    """An OTLP ``AnyValue`` as a plain Python value."""
    if not isinstance(v, dict):
        return None
    if "stringValue" in v:
        return v["stringValue"]
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "intValue" in v:
        try:
            return int(v["intValue"])
        except (TypeError, ValueError):
            return None
    if "doubleValue" in v:
        try:
            return float(v["doubleValue"])
        except (TypeError, ValueError):
            return None
    if "arrayValue" in v:
        return [any_value(x) for x in (v["arrayValue"] or {}).get("values") or ()]
    if "kvlistValue" in v:
        return attributes((v["kvlistValue"] or {}).get("values"))
    if "bytesValue" in v:
        return v["bytesValue"]
    return None


def attributes(items: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kv in items if isinstance(items, list) else ():
        if isinstance(kv, dict) and isinstance(kv.get("key"), str):
            out[kv["key"]] = any_value(kv.get("value"))
    return out


def _nanos(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _span(raw: dict[str, Any]) -> SpanRecord | None:
    trace_id, span_id = _id(raw.get("traceId"), 16), _id(raw.get("spanId"), 8)
    if trace_id is None or span_id is None:
        return None
    found = raw.get("status")
    status: dict[str, Any] = found if isinstance(found, dict) else {}
    events = tuple(
        (str(e.get("name", "")), attributes(e.get("attributes")))
        for e in raw.get("events") or ()
        if isinstance(e, dict)
    )
    return SpanRecord(
        name=str(raw.get("name") or ""),
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=_id(raw.get("parentSpanId"), 8),
        start_ns=_nanos(raw.get("startTimeUnixNano")),
        end_ns=_nanos(raw.get("endTimeUnixNano")),
        attributes=attributes(raw.get("attributes")),
        status=_STATUS.get(status.get("code", 0), "unset"),
        status_message=str(status.get("message") or ""),
        events=events,
    )


def spans_from_otlp_json(doc: Any) -> list[SpanRecord]:
    """Every well-formed span of one export request."""
    out: list[SpanRecord] = []
    resource_spans = doc.get("resourceSpans") if isinstance(doc, dict) else None
    for rs in resource_spans if isinstance(resource_spans, list) else ():
        if not isinstance(rs, dict):
            continue
        scopes = rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or ()
        for ss in scopes if isinstance(scopes, list) else ():
            for raw in (ss.get("spans") or ()) if isinstance(ss, dict) else ():
                span = _span(raw) if isinstance(raw, dict) else None
                if span is not None:
                    out.append(span)
    return out
