"""Where the CLI prints: rich consoles for people (stderr for chatter), and errors."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import typer

from llmeval.cli import exits
from llmeval.errors import ConfigError, ConfigErrors, LLMEvalError

_state: dict[str, Any] = {"debug": False}


def set_debug(value: bool) -> None:
    _state["debug"] = value


def console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def err(message: str) -> None:
    """One plain line on stderr; no markup so file paths and user text print verbatim."""
    sys.stderr.write(message.rstrip("\n") + "\n")


def _redact(text: str) -> str:
    try:
        from llmeval.providers.secrets import redact
    except ImportError:  # pragma: no cover
        return text
    return redact(text)


def _json_error(code: int, errors: list[str]) -> None:
    import json

    sys.stdout.write(json.dumps({"exit_code": code, "errors": errors}, indent=2) + "\n")


@contextlib.contextmanager
def errors_to_exit(json_errors: bool = False) -> Iterator[None]:
    """Map the exception tree to one-line messages and exit codes.

    With ``json_errors`` (``--json``), stdout also gets ``{"exit_code", "errors"}`` so a
    machine reading stdout never sees an empty document.
    """
    try:
        yield
    except typer.Exit:
        raise
    except KeyboardInterrupt:
        err("interrupted")
        raise typer.Exit(exits.INTERRUPTED) from None
    except ConfigErrors as e:
        if _state["debug"]:
            raise
        for one in e.errors:
            err(_redact(str(one)))
        if json_errors:
            _json_error(exits.USAGE, [_redact(str(one)) for one in e.errors])
        n = len(e.errors)
        err(f"{n} problem{'s' if n != 1 else ''} found; nothing was run")
        raise typer.Exit(exits.USAGE) from None
    except ConfigError as e:
        if _state["debug"]:
            raise
        line = _redact(f"error: {e}" if e.location is None else str(e))
        err(line)
        if json_errors:
            _json_error(exits.USAGE, [line])
        raise typer.Exit(exits.USAGE) from None
    except LLMEvalError as e:
        if _state["debug"]:
            raise
        err(_redact(f"error: {e}"))
        if json_errors:
            _json_error(e.exit_code, [_redact(str(e))])
        raise typer.Exit(e.exit_code) from None


def is_ci() -> bool:
    return bool(os.environ.get("CI")) or not sys.stderr.isatty()
