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


PIPED_WIDTH = 160  # CI logs are wide; rich's 80-column default for pipes folds every table


def console(stderr: bool = False) -> Any:
    """A rich console for people on stdout (or stderr): the terminal's width, or
    ``$COLUMNS`` when set, or ``PIPED_WIDTH`` when piped. Layouts adapt to that width
    (``report.console_*``), so nothing printed is cut whatever it is."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    piped = not stream.isatty() and not os.environ.get("COLUMNS", "").strip().isdigit()
    return Console(
        stderr=stderr, highlight=False, soft_wrap=False, width=PIPED_WIDTH if piped else None
    )


def err(message: str) -> None:
    """One plain line on stderr; no markup so file paths and user text print verbatim."""
    sys.stderr.write(message.rstrip("\n") + "\n")


def _redact(text: str) -> str:
    from llmeval.providers.secrets import redact

    return redact(text)


def _traceback(e: BaseException) -> None:
    """``--debug``: the traceback, redacted (a locals' repr or a message may quote a key)."""
    from llmeval.providers.secrets import format_exception

    sys.stderr.write(format_exception(e))


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
            _traceback(e)
        for one in e.errors:
            err(_redact(str(one)))
        if json_errors:
            _json_error(exits.USAGE, [_redact(str(one)) for one in e.errors])
        n = len(e.errors)
        err(f"{n} problem{'s' if n != 1 else ''} found; nothing was run")
        raise typer.Exit(exits.USAGE) from None
    except ConfigError as e:
        if _state["debug"]:
            _traceback(e)
        line = _redact(f"error: {e}" if e.location is None else str(e))
        err(line)
        if json_errors:
            _json_error(exits.USAGE, [line])
        raise typer.Exit(exits.USAGE) from None
    except LLMEvalError as e:
        if _state["debug"]:
            _traceback(e)
        err(_redact(f"error: {e}"))
        if json_errors:
            _json_error(e.exit_code, [_redact(str(e))])
        raise typer.Exit(e.exit_code) from None
    except Exception as e:
        # a bug of ours: one redacted line (traceback with --debug), and "incomplete"
        # (3), never 1, which CI would read as a regression
        if _state["debug"]:
            _traceback(e)
        err(_redact(f"internal error: {type(e).__name__}: {e}"))
        if json_errors:
            _json_error(exits.INCOMPLETE, [_redact(f"{type(e).__name__}: {e}")])
        raise typer.Exit(exits.INCOMPLETE) from None


def is_ci() -> bool:
    return bool(os.environ.get("CI")) or not sys.stderr.isatty()
