from __future__ import annotations

import io
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmeval.providers.secrets import (
    REDACTED,
    RedactingFilter,
    install_log_redaction,
    is_local_url,
    redact,
    register_secret_env,
    secret_values,
)

KEY = "sk-proj-abcdefgh12345678"


@pytest.mark.parametrize(
    ("env", "text", "expected"),
    [
        ({"OPENAI_API_KEY": KEY}, f"bad key {KEY}!", f"bad key {REDACTED}!"),
        ({"ANTHROPIC_API_KEY": "sk-ant-zzzz9999"}, "x sk-ant-zzzz9999 y", f"x {REDACTED} y"),
        ({"GITHUB_TOKEN": "ghp_12345678"}, "t=ghp_12345678", f"t={REDACTED}"),
        ({"MY_SECRET": "hunter2hunter2"}, "pw hunter2hunter2", f"pw {REDACTED}"),
        ({"SHORT_TOKEN": "abc"}, "abc abc", "abc abc"),  # too short to be a secret by name
        ({"HOME": "/root/something"}, "/root/something", "/root/something"),  # not a secret
        ({"OPENAI_API_KEY": ""}, "nothing", "nothing"),
        # one secret inside another: the longer one is replaced whole
        ({"A_TOKEN": "abcdefgh", "B_TOKEN": "abcdefgh-longer"}, "abcdefgh-longer", REDACTED),
    ],
)
def test_redact_by_value(env: dict[str, str], text: str, expected: str) -> None:
    assert redact(text, env) == expected


def test_registered_env_is_secret_whatever_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCAL_LLM_CRED", "qwerty-42")
    assert redact("qwerty-42") == "qwerty-42"
    register_secret_env("LOCAL_LLM_CRED")
    assert redact("use qwerty-42 now") == f"use {REDACTED} now"


def test_values_are_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert redact(KEY) == REDACTED
    monkeypatch.setenv("OPENAI_API_KEY", "sk-another-key-0000")
    assert redact(KEY) == KEY and "sk-another-key-0000" in secret_values()


@given(st.text(max_size=200), st.text(max_size=200))
def test_no_secret_survives_any_surrounding_text(before: str, after: str) -> None:
    env = {"OPENAI_API_KEY": KEY}
    assert KEY not in redact(before + KEY + after, env)


def test_logging_filter_redacts_message_args_and_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    stream = io.StringIO()
    logger = logging.getLogger("llmeval.test.redact")
    logger.propagate = False
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    install_log_redaction(logger)
    install_log_redaction(logger)  # idempotent
    assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    try:
        logger.warning("key is %s", KEY)
        try:
            raise RuntimeError(f"server said {KEY}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert KEY not in out
    assert out.count(REDACTED) == 2 and "RuntimeError" in out


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("http://localhost:11434/v1", True),
        ("http://127.0.0.1:8000/v1", True),
        ("http://[::1]:8080", True),
        ("http://127.1.2.3", True),
        ("https://api.openai.com/v1", False),
        ("https://localhost.evil.com/v1", False),
        (None, False),
    ],
)
def test_is_local_url(url: str | None, local: bool) -> None:
    assert is_local_url(url) is local
