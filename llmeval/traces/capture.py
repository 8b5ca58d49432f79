"""Spans of a python target, captured in-process with the OpenTelemetry SDK.

Around each case llmeval starts its own root span (``llmeval.case``, a fresh trace id,
never a child of whatever span is current) and makes it the current span for the
target's call; the target's spans (``opentelemetry.trace.get_tracer(...)``) are its
children, so they share its trace id. A span processor added to the tracer provider
keeps finished spans by trace id, only for cases still open: concurrent cases never
mix, and a span that ends after its case finished is dropped.

Which tracer provider:

- none configured (the API's default proxy): llmeval installs an SDK
  ``TracerProvider`` as the global one, with no exporter but its collector;
- the application configured an SDK ``TracerProvider`` (``trace.set_tracer_provider``
  at import time): llmeval adds its collector to it, next to the application's own
  processors, so its exporters keep working and also receive the ``llmeval.case``
  spans; its sampler applies (a span it does not sample is not seen);
- any other provider (a no-op or a vendor's non-SDK one): nothing can be captured and
  the trajectory stays empty.

The SDK is imported on first use only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from llmeval.domain.trajectory import Step
from llmeval.traces.spans import SpanRecord, spans_to_steps

ROOT_SPAN = "llmeval.case"
_lock = threading.Lock()
_collector: Any = None  # the one processor, added to each SDK provider once
_providers: list[Any] = []  # providers it was added to (a WeakSet would need hashing)


@dataclass
class Captured:
    """Filled when the case's scope closes."""

    trace_id: str = ""
    steps: tuple[Step, ...] = ()
    spans: list[SpanRecord] = field(default_factory=list)


def _record(span: Any) -> SpanRecord:
    ctx = span.get_span_context()
    parent = span.parent
    status = span.status
    code = getattr(status.status_code, "name", "UNSET").lower()
    return SpanRecord(
        name=span.name,
        trace_id=format(ctx.trace_id, "032x"),
        span_id=format(ctx.span_id, "016x"),
        parent_span_id=format(parent.span_id, "016x") if parent is not None else None,
        start_ns=span.start_time or 0,
        end_ns=span.end_time or 0,
        attributes=dict(span.attributes or {}),
        status=code if code in ("ok", "error") else "unset",
        status_message=status.description or "",
        events=tuple((e.name, dict(e.attributes or {})) for e in span.events),
    )


def _make_collector() -> Any:
    from opentelemetry.sdk.trace import SpanProcessor

    class Collector(SpanProcessor):  # type: ignore[misc]
        def __init__(self) -> None:
            self.lock = threading.Lock()
            self.open: dict[int, list[Any]] = {}

        def on_end(self, span: Any) -> None:
            with self.lock:
                bucket = self.open.get(span.get_span_context().trace_id)
                if bucket is not None:
                    bucket.append(span)

        def begin(self, trace_id: int) -> None:
            with self.lock:
                self.open[trace_id] = []

        def end(self, trace_id: int) -> list[Any]:
            with self.lock:
                return self.open.pop(trace_id, [])

        def shutdown(self) -> None:
            pass

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            return True

    return Collector()


def collector() -> Any:
    """The collector, attached to the global SDK tracer provider; None when the global
    provider is not the SDK's (nothing can be captured)."""
    global _collector
    try:
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:  # the SDK is a dependency, but a stripped install may lack it
        return None

    with _lock:
        provider = trace.get_tracer_provider()
        if isinstance(provider, trace.ProxyTracerProvider):
            trace.set_tracer_provider(TracerProvider())
            provider = trace.get_tracer_provider()
        if not isinstance(provider, TracerProvider):
            return None
        if _collector is None:
            _collector = _make_collector()
        if not any(p is provider for p in _providers):
            provider.add_span_processor(_collector)
            _providers.append(provider)
        return _collector


@contextmanager
def case_scope(name: str = ROOT_SPAN) -> Iterator[Captured]:
    """Run the body with a fresh root span current; on exit, ``Captured`` holds the
    steps of the spans that ended inside it (thread-safe, context-propagated)."""
    captured = Captured()
    found = collector()
    if found is None:
        yield captured
        return
    from opentelemetry import context as otel_context
    from opentelemetry import trace

    tracer = trace.get_tracer("llmeval")
    # an empty parent context: a new trace even when llmeval itself runs inside a span
    with tracer.start_as_current_span(name, context=otel_context.Context()) as root:
        ids = root.get_span_context()
        found.begin(ids.trace_id)
        try:
            yield captured
        finally:
            spans = [_record(s) for s in found.end(ids.trace_id)]
    captured.trace_id = format(ids.trace_id, "032x")
    captured.spans = spans
    captured.steps = spans_to_steps(spans, root_span_id=format(ids.span_id, "016x"))
