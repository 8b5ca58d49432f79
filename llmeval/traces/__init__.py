"""Trajectories from the application's own traces.

- ``steps``: a target's reported ``trajectory`` (a list of dicts) -> ``Step``s.
- ``spans``: one neutral span shape, and OpenTelemetry spans -> ``Step``s (pure; the
  GenAI semantic conventions plus a documented fallback mapping).
- ``otlp``: OTLP/HTTP JSON (``ExportTraceServiceRequest``) -> spans (pure).
- ``otlp_proto``: OTLP/HTTP protobuf and gzip/deflate bodies -> the same spans.
- ``capture``: spans of a python target, collected in-process with the OpenTelemetry SDK.
- ``receiver``: a local OTLP/HTTP receiver for HTTP targets, started only on opt-in.

Nothing here is imported by ``llmeval --help``; the SDK is imported only when used.
"""
