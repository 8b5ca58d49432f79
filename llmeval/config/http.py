"""The ``http`` provider's settings in llmeval.yaml -> ``HttpTarget``.

Checked here, before any call: the URL; headers may hold secrets only by reference
(``{{ env.NAME }}``, ``{{ api_key }}`` with ``api_key_env``), and a header that looks
like a credential with a literal value is a security error; the body template compiles;
every ``extract`` value (and ``stream_delta``) is a JMESPath expression that compiles.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from llmeval.config.schema import ModelConfig
from llmeval.config.yaml import locate
from llmeval.domain.location import Location
from llmeval.domain.model import HttpTarget
from llmeval.errors import ConfigError, SecurityError

EXTRACT_KEYS = (
    "output",
    "input_tokens",
    "output_tokens",
    "cost",
    "tool_calls",
    "finish_reason",
    "trajectory",
)
HEADER_REF = re.compile(r"\{\{\s*(env\.([A-Za-z_][A-Za-z0-9_]*)|api_key)\s*\}\}")
_SENSITIVE = re.compile(r"authorization|cookie|key|token|secret|password", re.I)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def body_templates(body: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """(path, source) of every string in a body template (a JSON text is one source)."""
    out: list[tuple[tuple[str | int, ...], str]] = []

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, str):
            out.append((path, node))
        elif isinstance(node, dict):
            for k, v in node.items():
                walk(v, (*path, k))
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, (*path, i))

    walk(body, ())
    return out


def read_http_target(cfg: ModelConfig, raw: Any, where: Location) -> HttpTarget:
    """Raises ConfigError / SecurityError at the offending key."""
    from jinja2 import TemplateSyntaxError

    def at(*path: str | int) -> Location:
        return locate(raw, path, default=where)

    if not cfg.url:
        raise ConfigError("an http model needs a 'url'", where)
    parts = urlsplit(cfg.url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"'url' should be an http(s) URL, not '{cfg.url}'", at("url"))
    if parts.username or parts.password:
        raise SecurityError(
            "'url' holds credentials; send them in a header from an env var", at("url")
        )
    for name, value in cfg.headers.items():
        leftover = HEADER_REF.sub("", value)
        if "{{" in leftover or "{%" in leftover:
            raise ConfigError(
                f"header '{name}' may only use {{{{ env.NAME }}}} or {{{{ api_key }}}}",
                at("headers", name),
            )
        if _SENSITIVE.search(name) and not HEADER_REF.search(value):
            raise SecurityError(
                f"header '{name}' holds a literal credential; write {{{{ env.NAME }}}} and keep "
                "the value in that environment variable",
                at("headers", name),
            )
        uses_key = any(m.group(1) == "api_key" for m in HEADER_REF.finditer(value))
        if uses_key and not cfg.api_key_env:
            raise ConfigError(
                f"header '{name}' uses {{{{ api_key }}}} but the model sets no 'api_key_env'",
                at("headers", name),
            )
    body = _plain(cfg.body)
    from llmeval.providers.http_body import compile_body_template

    for path, source in body_templates(body):
        try:
            compile_body_template(source, json_text=not path)
        except TemplateSyntaxError as e:
            raise ConfigError(
                f"body template syntax error: {e.message}", at("body", *path)
            ) from None
    extract = dict(cfg.extract)
    for key, expr in extract.items():
        if key not in EXTRACT_KEYS:
            raise ConfigError(
                f"unknown extract key '{key}' (known: {', '.join(EXTRACT_KEYS)})",
                at("extract", key),
            )
        _check_jmespath(expr, at("extract", key))
    if cfg.stream and not cfg.stream_delta:
        raise ConfigError(
            "a streaming http model needs 'stream_delta' (JMESPath of each event's text)", where
        )
    if cfg.stream_delta:
        _check_jmespath(cfg.stream_delta, at("stream_delta"))
    return HttpTarget(
        url=cfg.url,
        method=cfg.method,
        headers=dict(cfg.headers),
        body=body,
        extract=extract,
        stream_delta=cfg.stream_delta,
        traces_wait_ms=2000 if cfg.traces_wait_ms is None else cfg.traces_wait_ms,
        otlp_port=cfg.otlp_port or 0,
    )


_TRACE_MODES = {"python": ("otel", "off"), "http": ("otlp", "off")}


def check_traces(cfg: ModelConfig, provider: str, raw: Any, where: Location) -> None:
    """``traces`` (and its settings) fit the provider; ConfigError at the key."""
    modes = _TRACE_MODES.get(provider)
    if cfg.traces is not None and (modes is None or cfg.traces not in modes):
        hint = f"use {' or '.join(modes)}" if modes else "it is for python and http targets"
        raise ConfigError(
            f"'traces: {cfg.traces}' does not fit provider {provider} ({hint})",
            locate(raw, ("traces",), default=where),
        )
    for key in ("traces_wait_ms", "otlp_port"):
        if getattr(cfg, key) is not None and cfg.traces != "otlp":
            raise ConfigError(
                f"'{key}' needs 'traces: otlp' (an http target's OTLP receiver)",
                locate(raw, (key,), default=where),
            )


def _check_jmespath(expr: str, where: Location) -> None:
    import jmespath
    from jmespath import exceptions

    try:
        jmespath.compile(expr)
    except exceptions.JMESPathError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ConfigError(
            f"JMESPath expression '{expr}' does not compile: {first}", where
        ) from None
