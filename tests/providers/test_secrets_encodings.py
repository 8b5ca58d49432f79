"""Secrets are matched as sent (stripped) and in the encodings they travel in; the
provider boundary redacts every field of an answer and every error at once."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import TransientError
from llmeval.providers.base import Redacting
from llmeval.providers.environ import child_environ
from llmeval.providers.secrets import (
    REDACTED,
    format_exception,
    redact,
    redact_completion,
    redact_json,
)

KEY = "sk-canary-Zq9/x+Yw8=vT7_uS6-rR5"


@pytest.mark.parametrize("raw", [KEY, f"{KEY}\n", f"  {KEY}  ", f"\t{KEY}\r\n"])
def test_a_key_with_surrounding_whitespace_is_matched_as_sent(raw: str) -> None:
    env = {"OPENAI_API_KEY": raw}
    assert redact(f"Bearer {KEY}.", env) == f"Bearer {REDACTED}."


@pytest.mark.parametrize(
    "encode",
    [
        lambda k: quote(k, safe=""),
        lambda k: quote(k),
        lambda k: json.dumps(k)[1:-1],
        lambda k: json.dumps(k)[1:-1].replace("/", "\\/"),
        lambda k: k.encode().hex(),
        lambda k: k.encode().hex().upper(),
        lambda k: base64.b64encode(k.encode()).decode(),
        lambda k: base64.urlsafe_b64encode(k.encode()).decode(),
        lambda k: base64.b64encode(f"user:{k}".encode()).decode(),  # Basic auth
        lambda k: base64.b64encode(f"ab{k}xyz".encode()).decode(),  # another alignment
    ],
)
def test_encoded_keys_are_redacted(encode) -> None:
    env = {"OPENAI_API_KEY": KEY}
    encoded = encode(KEY)
    out = redact(f"header {encoded} end", env)
    assert REDACTED in out
    assert encoded not in out


@given(st.binary(max_size=8), st.binary(max_size=8))
def test_base64_at_any_alignment(before: bytes, after: bytes) -> None:
    env = {"OPENAI_API_KEY": KEY}
    blob = base64.b64encode(before + KEY.encode() + after).decode()
    out = redact(blob, env)
    assert out.count(REDACTED) == 1
    # all but the (at most 2) characters shared with a neighbouring byte are gone
    assert len(blob) - len(out.replace(REDACTED, "")) >= len(KEY) * 8 // 6 - 2


def test_short_values_are_not_encoded() -> None:
    # a 6-char registered value: its hex/base64 fragments would shred ordinary text
    assert redact("6869 aGk=", {"OPENAI_API_KEY": "hi-key"}) == "6869 aGk="


def test_redact_json_walks_keys_and_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    data = {"a": [KEY, 1, None, {KEY: f"x{KEY}"}], "n": 2.5}
    assert redact_json(data) == {"a": [REDACTED, 1, None, {REDACTED: f"x{REDACTED}"}], "n": 2.5}


def test_redact_completion_covers_every_text_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    c = Completion(text=f"t {KEY}", model_id=f"m-{KEY}", finish_reason=KEY, input_tokens=3)
    out = redact_completion(c)
    assert (out.text, out.model_id, out.finish_reason) == (
        f"t {REDACTED}",
        f"m-{REDACTED}",
        REDACTED,
    )
    assert out.input_tokens == 3
    clean = Completion(text="fine")
    assert redact_completion(clean) is clean


class _Echoing:
    """A plugin provider that echoes the key everywhere (answers and errors)."""

    def __init__(self, fail: bool) -> None:
        self.fail = fail

    async def complete(self, request: CompletionRequest) -> Completion:
        if self.fail:
            raise TransientError(f"upstream said {KEY}")
        return Completion(text=KEY, model_id=KEY, finish_reason=KEY)


async def test_the_boundary_redacts_answers_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_LLM_API_KEY", KEY)
    request = CompletionRequest(ModelSpec(alias="x", provider="plug", model="m"), ())
    c = await Redacting(_Echoing(False)).complete(request)
    assert KEY not in f"{c.text}{c.model_id}{c.finish_reason}"
    with pytest.raises(TransientError) as info:
        await Redacting(_Echoing(True)).complete(request)
    assert KEY not in info.value.message and KEY not in str(info.value)
    assert info.value.kind == "transient"


def test_format_exception_redacts_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", f" {KEY}\n")
    try:
        raise RuntimeError(f"boom {base64.b64encode(KEY.encode()).decode()}")
    except RuntimeError as e:
        text = format_exception(e)
    assert "Traceback" in text and "RuntimeError" in text
    assert KEY not in text and base64.b64encode(KEY.encode()).decode() not in text


def test_child_environ_drops_names_and_values() -> None:
    env = {
        "OPENAI_API_KEY": KEY,
        "GH_TOKEN": "ghp_abcdefgh",
        "INNOCENT_LOOKING": f" {KEY} ",  # the value of a configured key, under another name
        "PATH": "/bin",
    }
    import os

    saved = dict(os.environ)
    os.environ["OPENAI_API_KEY"] = KEY
    try:
        out = child_environ(env)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert out == {"PATH": "/bin"}


SEALED_CHILD = textwrap.dedent(
    """
    import os, subprocess, sys
    from llmeval.providers.environ import seal_environ
    assert seal_environ() == 2
    assert os.environ["OPENAI_API_KEY"].strip() == sys.argv[1]   # our copy is intact
    with open("/proc/self/environ", "rb") as fh:
        own = fh.read()
    probe = "import os; print(open(f'/proc/{os.getppid()}/environ','rb').read().hex())"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    print(own.hex())
    print(out.stdout.strip())
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_sealed_environ_hides_keys_from_proc_even_for_root(tmp_path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.endswith(("_KEY", "_TOKEN"))}
    env.update(OPENAI_API_KEY=f"{KEY}\n", SOME_SERVICE_TOKEN="tok-1234567890", KEEP="visible")
    proc = subprocess.run(
        [sys.executable, "-c", SEALED_CHILD, KEY], env=env, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    own, seen_by_child = (bytes.fromhex(line) for line in proc.stdout.split())
    for blob in (own, seen_by_child):
        assert KEY.encode() not in blob and b"tok-1234567890" not in blob
        assert b"KEEP=visible" in blob and b"OPENAI_API_KEY=" in blob


def test_every_file_writer_redacts_as_a_last_line_of_defence(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from llmeval.store.runs import atomic_write, write_json

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    atomic_write(tmp_path / "r.html", f"<p>{KEY}</p>")
    write_json(tmp_path / "run.json", {"model_id": KEY, "n": 1})
    assert (tmp_path / "r.html").read_text() == f"<p>{REDACTED}</p>"
    assert json.loads((tmp_path / "run.json").read_text()) == {"model_id": REDACTED, "n": 1}


def test_nested_frozen_dataclasses_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever else a Completion grows (tool calls...) is covered without a new line here."""
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Call:
        name: str
        arguments: dict

    @dataclass(frozen=True)
    class Answer:
        text: str
        calls: tuple = ()
        n: int = 0

    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    a = Answer("ok", (Call("f", {"k": KEY, "deep": [KEY]}), Call("g", {})), 3)
    out = redact_json(a)
    assert out.calls[0].arguments == {"k": REDACTED, "deep": [REDACTED]}
    assert out.calls[1] is a.calls[1] and out.n == 3 and out.text == "ok"
