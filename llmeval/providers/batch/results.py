"""Per-request outcomes of a batch: a ``Completion`` or an llmeval ``ProviderError``.

A request the provider never processed is one of two errors, and either way it goes
into a new batch later — the only requests ever sent twice are ones that never ran:

- the batch expired first (or the request is missing from the result files):
  ``BatchExpired``, a retryable kind, so the one retry layer puts it into the next
  batch; once the retries are spent the case is an ``error`` that ``--resume`` retries;
- the batch was cancelled (``llmeval batch cancel``): ``BatchNotProcessed``, a
  ``CircuitOpenError`` subclass, so the engine stops the model and leaves the case
  not-run; ``--resume`` sends it again. A
request the provider answered with an error maps to the same error class a live call
would raise (``errors.status_error``). Outcomes are stored one JSON object a line;
answer text is redacted like in the cache.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llmeval import errors as E
from llmeval.domain.request import Completion
from llmeval.providers.batch.state import write_json_atomic
from llmeval.providers.secrets import redact


class BatchNotProcessed(E.CircuitOpenError):
    """The batch ended before this request was processed (expired, cancelled, missing)."""

    kind = "batch_not_processed"


class BatchExpired(E.ProviderError):
    """The batch expired (or lost the request) before it was processed: retryable.

    Not a ``TransientError``: it says nothing about the provider's health, so the
    circuit breaker does not count it."""

    kind = "batch_expired"


# outcome kinds of requests the provider never processed: free to go into a new batch
NOT_PROCESSED = frozenset({"batch_not_processed", "batch_expired"})


# error.type of Anthropic / the status an OpenAI batch line carries -> HTTP status
ANTHROPIC_ERROR_STATUS = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "overloaded_error": 529,
}
UNPROCESSED = ("expired", "canceled", "cancelled", "batch_expired", "batch_cancelled", "missing")

_CLASSES: dict[str, type[E.ProviderError]] = {
    cls.kind: cls
    for cls in (
        E.ProviderError,
        E.AuthenticationError,
        E.BadRequestError,
        E.QuotaExceededError,
        E.RateLimitError,
        E.TransientError,
        E.ProviderTimeout,
        E.InputTooLongError,
        BatchNotProcessed,
        BatchExpired,
    )
}


@dataclass(frozen=True)
class Outcome:
    """One request's result as stored: ``completion`` or (``kind``, ``message``)."""

    key: str
    completion: Completion | None = None
    kind: str = ""
    message: str = ""
    status: int | None = None

    def error(self) -> E.ProviderError:
        cls = _CLASSES.get(self.kind, E.ProviderError)
        return cls(self.message, status=self.status)

    @classmethod
    def failed(cls, key: str, err: E.ProviderError) -> Outcome:
        return cls(key, kind=err.kind, message=err.message, status=err.status)

    @classmethod
    def unprocessed(cls, key: str, why: str) -> Outcome:
        if "cancel" in why:
            msg = f"batch request not processed ({why}); it runs again on resume"
            return cls(key, kind=BatchNotProcessed.kind, message=msg)
        msg = f"batch request not processed ({why}); it goes into the next batch"
        return cls(key, kind=BatchExpired.kind, message=msg)

    @property
    def processed(self) -> bool:
        """The provider answered it (with a completion or an error of its own)."""
        return self.kind not in NOT_PROCESSED

    def to_json(self) -> dict[str, Any]:
        if self.completion is not None:
            c = self.completion
            return {
                "key": self.key,
                "ok": True,
                "text": redact(c.text),
                "model_id": c.model_id,
                "finish_reason": c.finish_reason,
                "input_tokens": c.input_tokens,
                "output_tokens": c.output_tokens,
                "cost_usd": c.cost_usd,
            }
        return {
            "key": self.key,
            "ok": False,
            "kind": self.kind,
            "message": redact(self.message),
            "status": self.status,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Outcome:
        if data.get("ok"):
            completion = Completion(
                text=str(data.get("text", "")),
                model_id=str(data.get("model_id", "")),
                finish_reason=data.get("finish_reason"),
                input_tokens=int(data.get("input_tokens", 0)),
                output_tokens=int(data.get("output_tokens", 0)),
                cost_usd=data.get("cost_usd"),
            )
            return cls(str(data["key"]), completion)
        return cls(
            str(data["key"]),
            kind=str(data.get("kind", "provider")),
            message=str(data.get("message", "")),
            status=data.get("status"),
        )


def write_outcomes(path: Path, outcomes: Iterable[Outcome]) -> None:
    lines = (json.dumps(o.to_json(), ensure_ascii=False) for o in outcomes)
    write_json_atomic(path, "".join(line + "\n" for line in lines))


def read_outcomes(path: Path) -> dict[str, Outcome]:
    if not path.exists():
        return {}
    out = {}
    for n, raw in enumerate(path.read_bytes().splitlines(), 1):
        if raw.strip():
            try:  # written whole (atomically): a bad line is damage, not a torn write
                o = Outcome.from_json(json.loads(raw.decode("utf-8")))
                if not isinstance(
                    o.completion.cost_usd if o.completion else None, int | float | None
                ):
                    raise TypeError("cost_usd")
            except (ValueError, KeyError, TypeError, AttributeError):
                from llmeval.errors import UsageError

                raise UsageError(f"{path}:{n}: damaged batch result line") from None
            out[o.key] = o
    return out
