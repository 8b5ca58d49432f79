"""Redaction of secrets by value: the one place that knows what a secret looks like.

Keys live only in environment variables. Whatever provider data enters llmeval
(``redact_completion``, ``redact_error``) and whatever text leaves it (``redact``,
``redact_json``, ``format_exception``) goes through here, which replaces every known
secret with ``[REDACTED]``. Redacting by value catches a key even when a server echoes
it back inside an answer, a model id or an error body.

A value is matched as it is sent (stripped of surrounding whitespace: the SDKs get
the stripped key) and in the encodings it travels in: base64 (standard and URL-safe,
at any byte alignment, so ``Basic`` auth and tokens embedded in blobs are caught),
URL-encoding, JSON-escaping and hex.

Known secrets: OPENAI_API_KEY, ANTHROPIC_API_KEY (and their admin/auth variants),
every variable registered with ``register_secret_env`` (a model's ``api_key_env``),
and any variable named ``*_API_KEY``, ``*_TOKEN`` or ``*_SECRET`` whose value has at
least 8 characters (shorter values are too likely to be ordinary words).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
import os
import re
import threading
import traceback
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, quote_plus

if TYPE_CHECKING:
    from llmeval.domain.request import Completion

REDACTED = "[REDACTED]"

_DEFAULT_ENVS = (
    "OPENAI_API_KEY",
    "OPENAI_ADMIN_KEY",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
)
_SUFFIXES = ("_API_KEY", "_TOKEN", "_SECRET", "_SECRET_KEY", "_ACCESS_KEY", "_PASSWORD")
_MIN_PATTERN_LEN = 8
_MIN_REGISTERED_LEN = 4  # below this a "secret" would shred ordinary text
_MIN_ENCODED_LEN = 12  # encodings of shorter values (base64 fragments) match too much

_lock = threading.Lock()
_registered: set[str] = set(_DEFAULT_ENVS)
_generation = 0  # bumped by register_secret_env: a memoized secret set is then stale
# (the environment it was read from, registry generation, the values): ``redact`` runs
# several times per case, and reading os.environ through its Mapping (decoding every
# name and value) cost more than everything else llmeval does per case.
_memo: tuple[dict[bytes, bytes] | dict[str, str], int, frozenset[str]] | None = None

E = TypeVar("E", bound=BaseException)


def register_secret_env(name: str) -> None:
    """Treat the value of environment variable ``name`` as a secret from now on."""
    global _generation
    with _lock:
        if name not in _registered:
            _registered.add(name)
            _generation += 1


def is_secret_name(name: str) -> bool:
    """A variable whose value is a secret by its name (registered or key-like)."""
    with _lock:
        if name in _registered:
            return True
    return name.upper().endswith(_SUFFIXES)


def secret_values(environ: dict[str, str] | None = None) -> frozenset[str]:
    """The values to redact (stripped), as the environment holds them now.

    For ``os.environ`` the set is recomputed only when the environment (compared as
    its raw dict, a C-speed equality check) or the registered names changed since
    the last call, so a key set or changed at any time is still redacted at once.
    """
    global _memo
    if environ is not None:
        return _secret_values(environ)
    raw: Any = getattr(os.environ, "_data", None)  # CPython: the bytes (posix) dict
    if not isinstance(raw, dict):
        return _secret_values(os.environ)
    memo = _memo
    if memo is not None and memo[1] == _generation and memo[0] == raw:
        return memo[2]
    # snapshot first: a change made while we read makes the next call recompute
    snapshot, generation = dict(raw), _generation
    values = _secret_values(os.environ)
    _memo = (snapshot, generation, values)
    return values


def _secret_values(env: Any) -> frozenset[str]:
    with _lock:
        names = set(_registered)
    values: set[str] = set()
    for name, raw in env.items():
        value = raw.strip() if raw else ""
        if not value:
            continue
        if (name in names and len(value) >= _MIN_REGISTERED_LEN) or (
            name.upper().endswith(_SUFFIXES) and len(value) >= _MIN_PATTERN_LEN
        ):
            values.add(value)
    return frozenset(values)


def _base64_forms(data: bytes) -> set[str]:
    """The base64 characters that depend on ``data`` alone, at each of the three byte
    alignments it can have inside a longer encoded blob (standard and URL-safe)."""
    forms: set[str] = set()
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + data).decode("ascii")
        first = -(-8 * shift // 6)  # first char made only of data bits
        last = 8 * (shift + len(data)) // 6  # chars before this one are whole
        core = encoded[first:last]
        forms.add(core)
        forms.add(core.translate(str.maketrans("+/", "-_")))
    return forms


def encodings(value: str) -> set[str]:
    """``value`` and the forms it takes on the wire and in files."""
    forms = {value}
    if len(value) < _MIN_ENCODED_LEN:
        return forms
    data = value.encode("utf-8")
    forms |= {quote(value, safe=""), quote_plus(value), quote(value)}
    escaped = json.dumps(value)[1:-1]
    forms |= {escaped, escaped.replace("/", "\\/"), json.dumps(value, ensure_ascii=False)[1:-1]}
    forms |= {data.hex(), data.hex().upper()}
    forms |= _base64_forms(data)
    return {f for f in forms if f}


@lru_cache(maxsize=8)
def _pattern(values: frozenset[str]) -> re.Pattern[str] | None:
    if not values:
        return None
    forms: set[str] = set()
    for v in values:
        forms |= encodings(v)
    # longest first, so a secret that contains another is replaced whole
    ordered = sorted(forms, key=len, reverse=True)
    return re.compile("|".join(re.escape(v) for v in ordered))


def redact(text: str, environ: dict[str, str] | None = None) -> str:
    """``text`` with every known secret (in any known encoding) replaced by ``[REDACTED]``."""
    if not text or not isinstance(text, str):
        return text
    pattern = _pattern(secret_values(environ))
    if pattern is None:
        return text
    return pattern.sub(REDACTED, text)


def redact_json(obj: Any) -> Any:
    """A JSON-like value with every string in it (keys too) redacted; other types as
    is. Frozen dataclasses inside (e.g. a completion's tool calls) are rebuilt only when
    one of their fields changed."""
    # the environment's secrets are looked up once for the whole value, not per string
    pattern = _pattern(secret_values())
    return obj if pattern is None else _redact_tree(obj, pattern)


def _redact_tree(obj: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(obj, str):
        return pattern.sub(REDACTED, obj) if obj else obj
    if isinstance(obj, dict):
        return {
            pattern.sub(REDACTED, k) if isinstance(k, str) else k: _redact_tree(v, pattern)
            for k, v in obj.items()
        }
    if isinstance(obj, list | tuple):
        return type(obj)(_redact_tree(v, pattern) for v in obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changed: dict[str, Any] = {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            clean = _redact_tree(value, pattern)
            if clean is not value and clean != value:
                changed[f.name] = clean
        return dataclasses.replace(obj, **changed) if changed else obj
    return obj


def redact_completion(completion: Completion) -> Completion:
    """The entry point of a provider's answer: every text in it (text, model id, finish
    reason, and whatever else a Completion carries, e.g. tool calls) redacted at once."""
    return redact_json(completion)  # type: ignore[no-any-return]


def redact_error(error: E) -> E:
    """The same exception with its message (and ``args``) redacted, in place."""
    if getattr(error, "message", None) is not None and isinstance(error.message, str):  # type: ignore[attr-defined]
        error.message = redact(error.message)  # type: ignore[attr-defined]
    error.args = tuple(redact(a) if isinstance(a, str) else a for a in error.args)
    return error


def format_exception(error: BaseException) -> str:
    """A traceback as ``--debug`` prints it: with locals' reprs and messages redacted."""
    return redact("".join(traceback.format_exception(error)))


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
