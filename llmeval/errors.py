"""The exception tree.

    LLMEvalError                    base; carries the process exit code
    ├── UsageError                  bad command line or missing run (exit 4)
    ├── ConfigError                 one problem at file:line:col (exit 4)
    │   ├── SecurityError           path outside the project, secret in config (exit 4)
    │   └── ConfigWarning           loads, but looks unintended (printed, never fatal)
    ├── ConfigErrors                many ConfigErrors, reported together (exit 4)
    ├── ProviderError               a call to a model failed; ``kind`` says how
    │   ├── AuthenticationError     bad/missing key (fatal)
    │   ├── BadRequestError         the request itself is wrong (fatal)
    │   ├── QuotaExceededError      billing quota exhausted (fatal)
    │   ├── RateLimitError          429; ``retry_after`` seconds if the server said
    │   ├── TransientError          5xx, 529, connection reset (retryable)
    │   │   └── ProviderTimeout     an attempt or the case deadline ran out
    │   ├── ReplayMissError         --cache-mode replay and no cached answer (fatal)
    │   ├── CircuitOpenError        provider judged down; case left not-run
    │   └── InputTooLongError       over the model's max_input_tokens (fatal)
    ├── ScorerError                 an assertion could not produce a verdict
    └── BudgetExceeded              --max-cost would be passed

Per-case failures are data (they land in the journal as ``error``); exceptions that
escape the engine stop the whole run before or between calls.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from llmeval.domain.location import Location


class LLMEvalError(Exception):
    exit_code = 1


class UsageError(LLMEvalError):
    exit_code = 4


class ConfigError(LLMEvalError):
    """One problem in a user's file, located to the line."""

    exit_code = 4

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location is None:
            return self.message
        return f"{self.location}: {self.message}"


class SecurityError(ConfigError):
    pass


class ConfigWarning(ConfigError):
    """Not an error: collected beside the errors and printed as ``warning: ...``."""


class ConfigErrors(LLMEvalError):
    """Every problem found while loading, so the user fixes them in one pass."""

    exit_code = 4

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        self.errors = sorted(errors, key=_sort_key)
        super().__init__("\n".join(str(e) for e in self.errors))


def _sort_key(e: ConfigError) -> tuple[str, int, int, str]:
    loc = e.location
    if loc is None:
        return ("", 0, 0, e.message)
    return (loc.file, loc.line, loc.col, e.message)


class ProviderError(LLMEvalError):
    """A model call failed. ``kind`` is the stable name written to the journal."""

    kind = "provider"
    fatal = False  # fatal: retrying cannot help, fail fast
    exit_code = 3

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AuthenticationError(ProviderError):
    kind = "auth"
    fatal = True


class BadRequestError(ProviderError):
    kind = "bad_request"
    fatal = True


class QuotaExceededError(ProviderError):
    kind = "quota"
    fatal = True


class RateLimitError(ProviderError):
    kind = "rate_limit"

    def __init__(
        self, message: str, *, status: int | None = 429, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class TransientError(ProviderError):
    kind = "transient"


class ProviderTimeout(TransientError):
    kind = "timeout"


class ReplayMissError(ProviderError):
    kind = "replay_miss"
    fatal = True


class CircuitOpenError(ProviderError):
    kind = "circuit_open"
    fatal = True


class InputTooLongError(ProviderError):
    kind = "input_too_long"
    fatal = True


class ScorerError(LLMEvalError):
    kind = "scorer"


class BudgetExceeded(LLMEvalError):
    exit_code = 3
