"""Mapping of SDK failures (openai, anthropic) to llmeval's ProviderError tree.

The classification itself is pure (``classify``, ``retry_after_seconds``,
``status_error``) so it is table-tested; ``from_sdk_error`` only reads the
attributes both SDKs put on their exceptions. Messages are short, never carry the
SDK's own message (which embeds the whole response body) and always go through
``secrets.redact``: a server may echo the key back in an error body.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from collections.abc import Mapping
from typing import Any

from llmeval.errors import (
    AuthenticationError,
    BadRequestError,
    InputTooLongError,
    ProviderError,
    ProviderTimeout,
    QuotaExceededError,
    RateLimitError,
    TransientError,
)
from llmeval.providers.secrets import redact

_MAX_DETAIL = 200

# error.type / error.code / error.details.error_code values that mean "no money left"
QUOTA_CODES = frozenset(
    {
        "insufficient_quota",
        "billing_error",
        "billing_hard_limit_reached",
        "billing_not_active",
        "enforced_spend_limit_reached",
        "contract_spend_limit_reached",
        "linked_organization_spend_limit_reached",
        "linked_organization_billing_unavailable",
    }
)
_QUOTA_TEXT = re.compile(r"credit balance is too low|exceeded your current quota", re.I)
_TOO_LONG_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_TRANSIENT_STATUS = frozenset({408, 409, 425, 499, 529})
_BAD_REQUEST_STATUS = frozenset({400, 404, 413, 422})


def short(text: str, limit: int = _MAX_DETAIL) -> str:
    """One line, at most ``limit`` characters, secrets redacted."""
    flat = " ".join(redact(str(text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def error_fields(body: object) -> tuple[str | None, str | None, str]:
    """(type, code, message) from an OpenAI or Anthropic error body, in any shape."""
    if isinstance(body, (bytes, str)):
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
        try:
            body = json.loads(text)
        except ValueError:
            return None, None, text
    if not isinstance(body, Mapping):
        return None, None, "" if body is None else str(body)
    inner: Any = body.get("error", body)
    if isinstance(inner, str):
        return None, None, inner
    if not isinstance(inner, Mapping):
        return None, None, ""
    etype = inner.get("type")
    code = inner.get("code")
    details = inner.get("details")
    if code is None and isinstance(details, Mapping):
        code = details.get("error_code")
    message = inner.get("message") or ""
    return (
        str(etype) if etype is not None else None,
        str(code) if code is not None else None,
        str(message),
    )


def classify(status: int, etype: str | None, code: str | None, message: str) -> type[ProviderError]:
    """Which ProviderError class an HTTP error status and body stand for."""
    if status in (401, 403):
        return AuthenticationError
    if status == 402 or etype in QUOTA_CODES or code in QUOTA_CODES:
        return QuotaExceededError
    if 400 <= status < 500 and _QUOTA_TEXT.search(message or ""):
        return QuotaExceededError
    if status == 429:
        return RateLimitError
    if code in _TOO_LONG_CODES:
        return InputTooLongError
    if status in _TRANSIENT_STATUS or status >= 500:
        return TransientError
    if status in _BAD_REQUEST_STATUS or 400 <= status < 500:
        return BadRequestError
    return TransientError  # 1xx/3xx that the SDK surfaced as an error


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, then ``retry-after``
    (delta-seconds or an HTTP-date). None when absent or unreadable."""
    lower = {k.lower(): v for k, v in headers.items()}
    ms = lower.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = lower.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


_WHAT = {
    AuthenticationError: "authentication failed",
    QuotaExceededError: "quota exhausted",
    RateLimitError: "rate limited",
    InputTooLongError: "input too long",
    TransientError: "server error",
    BadRequestError: "bad request",
}


def status_error(
    provider: str,
    status: int,
    headers: Mapping[str, str],
    body: object,
    *,
    key_env: str | None = None,
) -> ProviderError:
    """The llmeval error for an HTTP error answer."""
    etype, code, message = error_fields(body)
    cls = classify(status, etype, code, message)
    detail = short(message or etype or code or "")
    text = f"{provider} {status} {_WHAT.get(cls, 'error')}" + (f": {detail}" if detail else "")
    if cls is AuthenticationError and key_env:
        text += f" (check {key_env})"
    if cls is RateLimitError:
        return RateLimitError(text, status=status, retry_after=retry_after_seconds(headers))
    return cls(text, status=status)


def malformed(provider: str, what: str) -> TransientError:
    """A 2xx answer we cannot use: not JSON, or an error body, or no choices."""
    return TransientError(f"{provider} returned an unusable response: {short(what)}")


def _transport_connection_error(exc: BaseException) -> BaseException | None:
    """The aiohttp error under an SDK timeout that was no timeout at all.

    The SDKs' aiohttp transport maps every aiohttp connection error (refused, reset,
    server disconnected) to ``httpx.ConnectTimeout``; only aiohttp's own timeouts
    (``TimeoutError`` subclasses) are timeouts.
    """
    seen: BaseException | None = exc.__cause__ or exc.__context__
    for _ in range(8):  # the chain is short; bounded anyway
        if seen is None:
            return None
        if type(seen).__module__.startswith("aiohttp"):
            return None if isinstance(seen, TimeoutError) else seen
        seen = seen.__cause__ or seen.__context__
    return None


def from_sdk_error(
    exc: BaseException, sdk: Any, provider: str, key_env: str | None
) -> ProviderError:
    """Map an exception raised by ``sdk`` (the imported openai or anthropic module)."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, sdk.APITimeoutError):
        dropped = _transport_connection_error(exc)
        if dropped is None:
            return ProviderTimeout(f"{provider} request timed out")
        return TransientError(f"{provider} connection error ({type(dropped).__name__})")
    if isinstance(exc, sdk.APIConnectionError):
        cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "unknown"
        return TransientError(f"{provider} connection error ({cause})")
    if isinstance(exc, sdk.APIStatusError):
        return status_error(
            provider, exc.status_code, exc.response.headers, exc.body, key_env=key_env
        )
    if isinstance(exc, sdk.APIResponseValidationError):
        return malformed(provider, "response did not match the expected schema")
    if isinstance(exc, json.JSONDecodeError):  # a broken 2xx body
        return malformed(provider, "invalid JSON")
    if isinstance(exc, (TypeError, ValueError)):  # the SDK refused our arguments
        return BadRequestError(f"{provider} rejected the request: {short(str(exc))}")
    return TransientError(f"{provider} call failed: {type(exc).__name__}: {short(str(exc))}")
