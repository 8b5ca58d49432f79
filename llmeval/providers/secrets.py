"""Redaction of secrets by value.

Keys live only in environment variables; whatever text leaves the process (errors,
journal, reports, logs, tracebacks) goes through ``redact`` first, which replaces
the *value* of every known secret variable with ``[REDACTED]``. Redacting by value
catches a key even when a server echoes it back inside an error body.

Known secrets: OPENAI_API_KEY, ANTHROPIC_API_KEY (and their admin/auth variants),
every variable registered with ``register_secret_env`` (a model's ``api_key_env``),
and any variable named ``*_API_KEY``, ``*_TOKEN`` or ``*_SECRET`` whose value has at
least 8 characters (shorter values are too likely to be ordinary words).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from functools import lru_cache

REDACTED = "[REDACTED]"

_DEFAULT_ENVS = (
    "OPENAI_API_KEY",
    "OPENAI_ADMIN_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
)
_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET")
_MIN_PATTERN_LEN = 8
_MIN_REGISTERED_LEN = 4  # below this a "secret" would shred ordinary text

_lock = threading.Lock()
_registered: set[str] = set(_DEFAULT_ENVS)


def register_secret_env(name: str) -> None:
    """Treat the value of environment variable ``name`` as a secret from now on."""
    with _lock:
        _registered.add(name)


def secret_values(environ: dict[str, str] | None = None) -> frozenset[str]:
    """The values to redact, read fresh from the environment (keys can be set late)."""
    env = os.environ if environ is None else environ
    with _lock:
        names = set(_registered)
    values: set[str] = set()
    for name, value in env.items():
        if not value:
            continue
        upper = name.upper()
        if (name in names and len(value) >= _MIN_REGISTERED_LEN) or (
            upper.endswith(_SUFFIXES) and len(value) >= _MIN_PATTERN_LEN
        ):
            values.add(value)
    return frozenset(values)


@lru_cache(maxsize=8)
def _pattern(values: frozenset[str]) -> re.Pattern[str] | None:
    if not values:
        return None
    # longest first, so a secret that contains another is replaced whole
    ordered = sorted(values, key=len, reverse=True)
    return re.compile("|".join(re.escape(v) for v in ordered))


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    """``text`` with every known secret value replaced by ``[REDACTED]``."""
    if not text:
        return text
    pattern = _pattern(secret_values(environ))
    if pattern is None:
        return text
    return pattern.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the message, arguments, traceback and stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not hide the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach one RedactingFilter to every handler of ``logger`` (default: root).

    Filters on handlers see records propagated from child loggers; filters on a
    logger would not.
    """
    target = logger or logging.getLogger()
    flt = RedactingFilter()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(flt)
    return flt


_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0", "host.docker.internal"})
LOCAL_DUMMY_KEY = "sk-local-no-key"


def is_local_url(url: str | None) -> bool:
    """True for a base URL on this machine (127.x, localhost, ::1)."""
    if not url:
        return False
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    return host in _LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost")


def resolve_key(alias: str, key_env: str, base_url: str | None) -> str:
    """The API key for a model, read from ``key_env`` now (before any call).

    Local OpenAI-compatible servers (Ollama, llama.cpp, vLLM without --api-key)
    need no key, but the SDKs insist on one: when ``key_env`` is unset and the base
    URL is on this machine, a dummy key is used. Anywhere else a missing key is a
    ConfigError naming the variable.
    """
    from llmeval.errors import ConfigError

    register_secret_env(key_env)
    key = os.environ.get(key_env, "").strip()
    if key:
        return key
    if is_local_url(base_url):
        return LOCAL_DUMMY_KEY
    raise ConfigError(f"environment variable {key_env} is not set (needed by model '{alias}')")
