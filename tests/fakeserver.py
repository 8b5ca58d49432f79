"""A local fake LLM server speaking the OpenAI and Anthropic wire formats.

Used by the test suite (real SDKs talk to it over HTTP) and by the benchmarks::

    python tests/fakeserver.py --port 8765 --latency-ms 50 [--fault-rate 0.2]

Endpoints: OpenAI ``POST /v1/chat/completions``, ``POST /v1/responses`` (Responses
API), ``POST /v1/moderations``, ``POST /v1/embeddings`` (deterministic bag-of-words
vectors), ``GET /v1/models``; Anthropic ``POST /v1/messages``,
``POST /v1/messages/count_tokens``; an application of its own shape for the ``http``
provider, ``POST /app/chat`` (``{question, history}`` -> ``{answer: {text}, usage,
calls}``) and ``POST /app/stream`` (server-sent ``{"delta": ...}`` events); control
``GET /_fake/stats``, ``POST /_fake/reset`` (for a server in another process).

Replies: the next scripted reply (``script``), else ``responder(request_json)``,
else the last user message verbatim. A reply is a string, or a dict ``{"text": ...,
"tool_calls": [{"name", "arguments": dict | str, "id"?}]}`` answered as tool calls in
each wire format (a str ``arguments`` is sent as-is: invalid JSON on purpose).
``"stream": true`` in a request body is answered with server-sent events in that API's
format, one word per event, ``chunk_delay_ms`` apart (after ``latency_ms``).
Tokens are whitespace-separated words.
With ``echo_key=True`` the server plays a leaky proxy: it echoes the API key it
received in every field it returns -- ``{KEY}``, ``{KEY_B64}``, ``{KEY_URL}`` and
``{KEY_HEX}`` in a reply become the key (plain, base64, URL-encoded, hex), the
``model`` gets ``-<key>`` appended and ``finish_reason`` / ``stop_reason`` is the key.
``max_tokens`` truncates the reply (finish ``length`` / ``max_tokens``), a stop
sequence cuts it. Faults are rules (``add_fault``/``fail_next``/``fail_rate``/
``fail_when``/``fail_first``) checked in order against each request; a rule without
``path`` applies to the two completion endpoints only; see ``FAULT_KINDS``.
Run it in its own process for benchmarks: in-process it shares the GIL with the
client under test.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import email.utils
import itertools
import json
import random
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI_CHAT = "/v1/chat/completions"
OPENAI_RESPONSES = "/v1/responses"
ANTHROPIC_MESSAGES = "/v1/messages"
APP_CHAT = "/app/chat"
APP_STREAM = "/app/stream"
COMPLETION_PATHS = (OPENAI_CHAT, OPENAI_RESPONSES, ANTHROPIC_MESSAGES, APP_CHAT, APP_STREAM)


@dataclass(frozen=True)
class Reply:
    text: str = ""
    tool_calls: tuple[dict[str, Any], ...] = ()
    trajectory: tuple[Any, ...] = ()  # the /app answer's own "steps" (http extract.trajectory)

    @classmethod
    def of(cls, value: Any) -> Reply:
        if isinstance(value, Reply):
            return value
        if isinstance(value, dict):
            calls = []
            for i, c in enumerate(value.get("tool_calls") or ()):
                calls.append({"id": c.get("id") or f"call_{i}", **c})
            return cls(
                str(value.get("text", "")), tuple(calls), tuple(value.get("trajectory") or ())
            )
        return cls(str(value))


@dataclass(frozen=True)
class SSE:
    """A streamed answer: (event name or None, data) pairs; data is JSON or a raw string."""

    events: tuple[tuple[str | None, Any], ...]


FAULT_KINDS = (
    "rate_limit",  # 429; params retry_after (s), retry_after_ms, retry_after_date (s from now)
    "quota",  # 429 insufficient_quota (OpenAI) / 402 billing_error (Anthropic)
    "server_error",  # 500
    "unavailable",  # 503
    "overloaded",  # 529 overloaded_error
    "auth",  # 401
    "forbidden",  # 403
    "bad_request",  # 400
    "not_found",  # 404
    "hang",  # sleep `seconds` (default server.hang_s) then answer normally
    "disconnect",  # close the connection without answering
    "malformed",  # 200 with a body that is not JSON
    "error_body",  # 200 with an error object instead of a completion
    "empty",  # 200 with no choices / no content
    "custom",  # params status, body (dict|str), headers
)
# Any fault also takes ``latency_ms`` (answer after that long instead of the server's
# latency) and ``body_delay_ms`` (send the status line and headers, then the body
# that much later).


@dataclass
class FaultRule:
    """One fault rule. ``remaining`` None = unlimited; ``path`` matches exactly."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    remaining: int | None = None
    path: str | None = None
    when: Callable[[Any], bool] | None = None
    rate: float | None = None
    hits: int = 0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any
    prompt: str | None  # last user message text, for completion endpoints
    status: int  # what we answered (0 = connection dropped)
    fault: str | None
    at: float


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def _turns(body: dict[str, Any]) -> list[Any]:
    if isinstance(body.get("input"), str):
        return [{"role": "user", "content": body["input"]}]
    if isinstance(body.get("history"), list) or "question" in body:  # the /app shape
        return [*body.get("history", []), {"role": "user", "content": body.get("question", "")}]
    return list(body.get("messages") or body.get("input") or [])


def last_user_message(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for m in reversed(_turns(body)):
        if isinstance(m, dict) and m.get("role") == "user":
            content = m.get("content")
            if isinstance(content, list) and all(
                isinstance(b, dict) and b.get("type") == "tool_result" for b in content
            ):
                continue  # an Anthropic tool result travels as a user message
            return _text_of(content)
    return None


def count_words(body: Any) -> int:
    if not isinstance(body, dict):
        return 0
    n = len(_text_of(body.get("system")).split()) if "system" in body else 0
    for m in _turns(body):
        if isinstance(m, dict):
            n += len(_text_of(m.get("content")).split())
    return n


def _tool_names(body: dict[str, Any]) -> list[str]:
    """Declared tool names in any of the three shapes (chat, Responses, Anthropic)."""
    names = []
    for t in body.get("tools") or ():
        if isinstance(t, dict):
            fn = t.get("function")
            name = fn.get("name") if isinstance(fn, dict) else t.get("name")
            if isinstance(name, str):
                names.append(name)
    return names


def _since_user(body: dict[str, Any]) -> tuple[str, list[str]]:
    """(the last real user message, the tool results that came after it), in any shape:
    chat ``role: tool``, Responses ``function_call_output``, Anthropic ``tool_result``."""
    user, results = "", []
    for m in _turns(body):
        if not isinstance(m, dict):
            continue
        if m.get("type") == "function_call_output":
            results.append(str(m.get("output", "")))
        elif m.get("role") == "tool":
            results.append(_text_of(m.get("content")))
        elif m.get("role") == "user":
            content = m.get("content")
            blocks = content if isinstance(content, list) else []
            tool_blocks = [
                b for b in blocks if isinstance(b, dict) and b.get("type") == "tool_result"
            ]
            if blocks and len(tool_blocks) == len(blocks):
                results.extend(
                    _text_of(b.get("content")) or str(b.get("content", "")) for b in tool_blocks
                )
            else:
                user, results = _text_of(content), []
    return user, results


def _arguments_in(text: str) -> dict[str, Any]:
    """``key=value`` pairs of a message (numbers as numbers): the scripted arguments."""
    args: dict[str, Any] = {}
    for word in text.split():
        key, sep, value = word.strip(".,;!?").partition("=")
        if sep and key.isidentifier():
            try:
                args[key] = int(value)
            except ValueError:
                args[key] = value
    return args


def tool_agent(body: Any) -> str | dict[str, Any]:
    """A deterministic tool-calling "model" for any wire format (a ``responder``).

    The declared tools named in the last user message are called one per answer, in the
    order they are named, each with the ``key=value`` pairs written after its name (up
    to the next tool's) as arguments; once each has a result, the answer is text quoting
    every result (``results: a; b``). A user message naming no tool is answered
    ``you said: <message>`` (a conversation turn)."""
    if not isinstance(body, dict):
        return ""
    user, results = _since_user(body)
    declared = _tool_names(body)
    calls: list[tuple[str, list[str]]] = []
    for word in user.split():
        if word.strip(".,;!?") in declared:
            calls.append((word.strip(".,;!?"), []))
        elif calls:
            calls[-1][1].append(word)
    if len(results) < len(calls):
        name, words = calls[len(results)]
        call = {"name": name, "arguments": _arguments_in(" ".join(words)),
                "id": f"call_{len(results)}_{name}"}  # fmt: skip
        return {"text": "", "tool_calls": [call]}
    if results:
        return "results: " + "; ".join(results)
    return f"you said: {user}"


class FakeLLMServer:
    """Start with ``start()`` or ``with FakeLLMServer() as srv:``; thread-safe."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency_ms: float = 0.0,
        responder: Callable[[Any], str] | None = None,
        model_suffix: str = "",
        hang_s: float = 30.0,
        chunk_delay_ms: float = 0.0,
        seed: int = 0,
        flag_terms: Iterable[str] = ("FLAGGED",),
        echo_key: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        self.latency_ms = latency_ms
        self.responder = responder
        self.model_suffix = model_suffix
        self.hang_s = hang_s
        self.chunk_delay_ms = chunk_delay_ms
        self.flag_terms = tuple(flag_terms)
        self.echo_key = echo_key
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rules: list[FaultRule] = []
        self._script: collections.deque[Any] = collections.deque()
        self._records: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.batches = FakeBatches(self)  # the batch APIs' state (see batch_route)

    # lifecycle -------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        server = self

        class Handler(_Handler):
            fake = server

        httpd = ThreadingHTTPServer((self.host, self.port), Handler, bind_and_activate=False)
        httpd.daemon_threads = True
        httpd.request_queue_size = 256  # many clients connecting at once must not get RST
        httpd.allow_reuse_address = True
        httpd.server_bind()
        httpd.server_activate()
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake hanging handlers and close open keep-alive connections."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> FakeLLMServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """For ``OpenAI(base_url=...)`` / ``ModelSpec.base_url`` of an openai model."""
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        """For ``Anthropic(base_url=...)``: the SDK appends ``/v1/messages`` itself."""
        return self.url

    # scripting -------------------------------------------------------------
    def script(self, *replies: str | dict[str, Any]) -> None:
        """Queue replies (text, or ``{"text", "tool_calls"}``); each successful
        completion uses the next one."""
        with self._lock:
            self._script.extend(replies)

    def add_fault(
        self,
        kind: str,
        *,
        times: int | None = None,
        path: str | None = None,
        when: Callable[[Any], bool] | None = None,
        rate: float | None = None,
        **params: Any,
    ) -> FaultRule:
        """Answer matching requests with fault ``kind``. Rules apply in insertion
        order; ``times`` limits how often, ``rate`` is a seeded probability,
        ``when(request_json)`` selects requests, ``path`` restricts to one endpoint."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        rule = FaultRule(kind, params, times, path, when, rate)
        with self._lock:
            self._rules.append(rule)
        return rule

    def fail_next(self, kind: str, n: int = 1, **kw: Any) -> FaultRule:
        """The next ``n`` requests (to completion endpoints unless ``path`` is given)."""
        return self.add_fault(kind, times=n, **kw)

    def fail_rate(self, kind: str, rate: float, **kw: Any) -> FaultRule:
        return self.add_fault(kind, rate=rate, **kw)

    def fail_when(self, kind: str, when: Callable[[Any], bool], **kw: Any) -> FaultRule:
        return self.add_fault(kind, when=when, **kw)

    def fail_first(self, kind: str, attempts: int = 1, **kw: Any) -> FaultRule:
        """Each distinct prompt (last user message) fails its first ``attempts``
        requests, then succeeds: "every case needs a retry" scenarios."""
        seen: collections.Counter[str] = collections.Counter()
        guard = threading.Lock()

        def first(body: Any) -> bool:
            prompt = last_user_message(body) or ""
            with guard:
                seen[prompt] += 1
                return seen[prompt] <= attempts

        return self.add_fault(kind, when=first, **kw)

    def clear_faults(self) -> None:
        with self._lock:
            self._rules.clear()

    def reset(self) -> None:
        """Forget records, faults and scripted replies."""
        with self._lock:
            self._records.clear()
            self._rules.clear()
            self._script.clear()

    # counters --------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._records)

    def count(self, path: str | None = None, *, status: int | None = None) -> int:
        with self._lock:
            return sum(
                1
                for r in self._records
                if (path is None or r.path == path) and (status is None or r.status == status)
            )

    def counts(self) -> dict[str, int]:
        """Requests received per path."""
        with self._lock:
            return dict(collections.Counter(r.path for r in self._records))

    def ok_by_prompt(self) -> collections.Counter[str]:
        """Successful completions per last-user-message: "one per case" checks."""
        with self._lock:
            return collections.Counter(
                r.prompt or ""
                for r in self._records
                if r.status == 200 and r.fault is None and r.path in COMPLETION_PATHS
            )

    def stats(self) -> dict[str, Any]:
        with self._lock:
            recs = list(self._records)
        return {
            "requests": len(recs),
            "by_path": dict(collections.Counter(r.path for r in recs)),
            "by_status": {
                str(k): v for k, v in collections.Counter(r.status for r in recs).items()
            },
            "faults": dict(collections.Counter(r.fault for r in recs if r.fault)),
            "ok_by_prompt": dict(self.ok_by_prompt()),
        }

    # internals used by the handler ----------------------------------------
    def _pick_fault(self, path: str, body: Any) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.remaining is not None and rule.remaining <= 0:
                    continue
                if rule.path is not None and rule.path != path:
                    continue
                if rule.path is None and path not in COMPLETION_PATHS:
                    continue
                if rule.when is not None:
                    try:
                        if not rule.when(body):
                            continue
                    except Exception:
                        continue
                if rule.rate is not None and self._rng.random() >= rule.rate:
                    continue
                if rule.remaining is not None:
                    rule.remaining -= 1
                rule.hits += 1
                return rule
        return None

    def _reply(self, body: Any) -> Reply:
        with self._lock:
            if self._script:
                return Reply.of(self._script.popleft())
        if self.responder is not None:
            return Reply.of(self.responder(body))
        return Reply(last_user_message(body) or "")

    def _record(self, rec: RecordedRequest) -> None:
        with self._lock:
            self._records.append(rec)

    def _replace(self, old: RecordedRequest, new: RecordedRequest) -> None:
        with self._lock:
            for i in range(len(self._records) - 1, -1, -1):
                if self._records[i] is old:
                    self._records[i] = new
                    return

    def _sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._stopping.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLLMServer
    protocol_version = "HTTP/1.1"  # keep-alive, like real APIs
    disable_nagle_algorithm = True  # else Nagle + delayed ACK add ~40 ms per answer
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def setup(self) -> None:
        super().setup()
        with self.fake._lock:
            self.fake._conns.add(self.connection)

    def finish(self) -> None:
        with self.fake._lock:
            self.fake._conns.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        self._handle(self.rfile.read(length) if length else b"")

    # wire formats ----------------------------------------------------------
    def _handle(self, raw: bytes) -> None:
        fake = self.fake
        path = self.path.split("?", 1)[0]
        if path.startswith("/_fake/"):  # control endpoints are not recorded
            if path == "/_fake/reset" and self.command == "POST":
                fake.reset()
            self._send(200, fake.stats(), {})
            return
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        anthropic = path.startswith(ANTHROPIC_MESSAGES) or "anthropic-version" in self.headers
        rule = fake._pick_fault(path, body)
        fault = rule.kind if rule else None
        # a fault may answer sooner or later than the rest (``latency_ms`` param)
        latency_ms = fake.latency_ms
        if rule is not None and "latency_ms" in rule.params:
            latency_ms = float(rule.params["latency_ms"])
        body_delay_s = float(rule.params.get("body_delay_ms", 0)) / 1000.0 if rule else 0.0
        fake._sleep(latency_ms / 1000.0)
        if rule is not None and rule.kind == "hang":
            fake._sleep(float(rule.params.get("seconds", fake.hang_s)))
            rule = None  # then answer normally, if anyone still listens
        if rule is not None and rule.kind == "disconnect":
            status, payload, headers = 0, None, {}
        elif rule is not None:
            status, payload, headers = _fault_answer(rule, anthropic, self._key())
        else:
            self._raw = raw  # batch uploads are multipart, not JSON
            status, payload, headers = self._route(path, body, anthropic)
        # record before answering, so a client that has its answer sees the record
        rec = RecordedRequest(
            self.command,
            path,
            {k.lower(): v for k, v in self.headers.items()},
            raw,
            body,
            last_user_message(body) if path in COMPLETION_PATHS else None,
            status,
            fault,
            time.time(),
        )
        fake._record(rec)
        try:
            if status == 0:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self._send(status, payload, headers, body_delay_s)
        except OSError:  # the client went away (timed out) before we answered
            fake._replace(rec, dataclasses.replace(rec, status=0))

    def _key(self) -> str:
        auth = self.headers.get("authorization", "")
        return self.headers.get("x-api-key") or auth.removeprefix("Bearer ").strip()

    def _route(self, path: str, body: Any, anthropic: bool) -> tuple[int, Any, dict[str, str]]:
        if is_batch_path(path):
            return batch_route(self.fake, self.command, path, self._raw, dict(self.headers))
        if self.command == "POST" and body is None:
            return 400, _error_body(anthropic, "invalid_request_error", "body is not JSON"), {}
        if path == OPENAI_CHAT and self.command == "POST":
            return 200, _leak(self.fake, _openai_completion(self.fake, body), self._key()), {}
        if path == OPENAI_RESPONSES and self.command == "POST":
            return 200, _openai_response(self.fake, body), {}
        if path == ANTHROPIC_MESSAGES and self.command == "POST":
            return 200, _leak(self.fake, _anthropic_message(self.fake, body), self._key()), {}
        if path in (APP_CHAT, APP_STREAM) and self.command == "POST":
            return 200, _app_answer(self.fake, body, stream=path == APP_STREAM), {}
        if path == ANTHROPIC_MESSAGES + "/count_tokens" and self.command == "POST":
            return 200, {"input_tokens": count_words(body)}, {}
        if path == "/v1/moderations" and self.command == "POST":
            return 200, _moderation(self.fake, body), {}
        if path == OPENAI_EMBEDDINGS and self.command == "POST":
            return 200, _embeddings(body), {}
        if path == "/v1/models" and self.command == "GET":
            return 200, _models(anthropic), {}
        return 404, _error_body(anthropic, "not_found_error", f"no route {path}"), {}

    def _send_sse(self, payload: SSE, headers: dict[str, str]) -> None:
        """Server-sent events, one chunk of the chunked body per event, spaced out."""
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("cache-control", "no-cache")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        delay = self.fake.chunk_delay_ms / 1000.0
        for i, (name, data) in enumerate(payload.events):
            if i and delay:
                self.fake._sleep(delay)
            text = data if isinstance(data, str) else json.dumps(data)
            frame = (f"event: {name}\n" if name else "") + f"data: {text}\n\n"
            raw = frame.encode()
            self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
            self.wfile.flush()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _send(
        self, status: int, payload: Any, headers: dict[str, str], body_delay_s: float = 0.0
    ) -> None:
        if isinstance(payload, SSE):
            self._send_sse(payload, headers)
            return
        if isinstance(payload, bytes):
            data, ctype = payload, "application/json"  # deliberately broken JSON
        elif isinstance(payload, str):
            data, ctype = payload.encode(), "text/plain; charset=utf-8"
        else:
            data, ctype = json.dumps(payload).encode(), "application/json"
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", f"req_fake_{time.monotonic_ns()}")
        for k, v in headers.items():
            self.send_header(k, v)
        self._headers_buffer.append(b"\r\n")  # end_headers() without its own flush
        if body_delay_s > 0:  # the headers now, the body later (``body_delay_ms``)
            self.flush_headers()
            self.fake._sleep(body_delay_s)
            self.wfile.write(data)
            self.wfile.flush()
            return
        self._headers_buffer.append(data)  # headers and body in one segment
        self.flush_headers()


def _truncate(fake: FakeLLMServer, body: dict[str, Any], max_tokens: Any) -> tuple[Reply, str]:
    """(reply, reason) with reason one of stop | length | stop_sequence | tool_calls."""
    reply = fake._reply(body)
    text = reply.text
    stops = body.get("stop") or body.get("stop_sequences") or []
    if isinstance(stops, str):
        stops = [stops]
    for s in stops:
        if s and s in text:
            return Reply(text[: text.index(s)], reply.tool_calls), "stop_sequence"
    words = text.split()
    if isinstance(max_tokens, int) and len(words) > max_tokens:
        return Reply(" ".join(words[:max_tokens]), reply.tool_calls), "length"
    return reply, "tool_calls" if reply.tool_calls else "stop"


def _args_text(call: dict[str, Any]) -> str:
    args = call.get("arguments", {})
    return args if isinstance(args, str) else json.dumps(args)


def _args_object(call: dict[str, Any]) -> Any:
    args = call.get("arguments", {})
    if isinstance(args, str):
        try:
            return json.loads(args)
        except ValueError:
            return {"_raw": args}
    return args


def _pieces(text: str) -> list[str]:
    """One streamed delta per word, keeping the spaces so the deltas join back exactly."""
    words = text.split(" ")
    return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words) if w or i == 0]


def _openai_completion(fake: FakeLLMServer, body: dict[str, Any]) -> Any:
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    reply, reason = _truncate(fake, body, limit)
    text = reply.text
    n_in, n_out = count_words(body), len(text.split())
    finish = "stop" if reason == "stop_sequence" else reason
    model = str(body.get("model", "")) + fake.model_suffix
    cid = f"chatcmpl-fake{time.monotonic_ns()}"
    usage = {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}
    calls = [
        {
            "id": c["id"],
            "type": "function",
            "function": {"name": c["name"], "arguments": _args_text(c)},
        }
        for c in reply.tool_calls
    ]
    if body.get("stream"):

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
            return {
                "id": cid,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
            }

        events: list[tuple[str | None, Any]] = [(None, chunk({"role": "assistant", "content": ""}))]
        events += [(None, chunk({"content": p})) for p in _pieces(text) if p]
        for i, c in enumerate(calls):
            head = {
                "index": i,
                "id": c["id"],
                "type": "function",
                "function": {"name": c["function"]["name"], "arguments": ""},
            }
            events.append((None, chunk({"tool_calls": [head]})))
            args = c["function"]["arguments"]
            for half in (args[: len(args) // 2], args[len(args) // 2 :]):
                events.append(
                    (None, chunk({"tool_calls": [{"index": i, "function": {"arguments": half}}]}))
                )
        events.append((None, chunk({}, finish)))
        if (body.get("stream_options") or {}).get("include_usage"):
            events.append((None, {**chunk({}), "choices": [], "usage": usage}))
        events.append((None, "[DONE]"))
        return SSE(tuple(events))
    message: dict[str, Any] = {
        "role": "assistant",
        "content": text or (None if calls else ""),
        "refusal": None,
    }
    if calls:
        message["tool_calls"] = calls
    return {
        "id": cid,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "system_fingerprint": "fp_fake",
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": usage,
    }


def _openai_response(fake: FakeLLMServer, body: dict[str, Any]) -> Any:
    """The Responses API: ``input`` items in, ``output`` items out."""
    reply, reason = _truncate(fake, body, body.get("max_output_tokens"))
    n_in, n_out = count_words(body), len(reply.text.split())
    rid = f"resp_fake{time.monotonic_ns()}"
    output: list[dict[str, Any]] = []
    if reply.text or not reply.tool_calls:
        output.append(
            {
                "type": "message",
                "id": f"msg_{rid}",
                "role": "assistant",
                "status": "completed",
                "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
            }
        )
    for c in reply.tool_calls:
        output.append(
            {
                "type": "function_call",
                "id": f"fc_{c['id']}",
                "call_id": c["id"],
                "name": c["name"],
                "arguments": _args_text(c),
                "status": "completed",
            }
        )
    incomplete = reason == "length"
    response = {
        "id": rid,
        "object": "response",
        "created_at": time.time(),
        "model": str(body.get("model", "")) + fake.model_suffix,
        "status": "incomplete" if incomplete else "completed",
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "error": None,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools", []),
        "usage": {
            "input_tokens": n_in,
            "output_tokens": n_out,
            "total_tokens": n_in + n_out,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0},
        },
    }
    if not body.get("stream"):
        return response
    seq = iter(range(10**6))
    events: list[tuple[str | None, Any]] = [
        (
            "response.created",
            {
                "type": "response.created",
                "sequence_number": next(seq),
                "response": {**response, "status": "in_progress", "output": []},
            },
        ),
    ]
    for p in _pieces(reply.text):
        if p:
            events.append(
                (
                    "response.output_text.delta",
                    {
                        "type": "response.output_text.delta",
                        "sequence_number": next(seq),
                        "item_id": f"msg_{rid}",
                        "output_index": 0,
                        "content_index": 0,
                        "delta": p,
                        "logprobs": [],
                    },
                )
            )
    for i, c in enumerate(reply.tool_calls):
        events.append(
            (
                "response.function_call_arguments.delta",
                {
                    "type": "response.function_call_arguments.delta",
                    "sequence_number": next(seq),
                    "item_id": f"fc_{c['id']}",
                    "output_index": i + 1,
                    "delta": _args_text(c),
                },
            )
        )
    kind = "response.incomplete" if incomplete else "response.completed"
    events.append((kind, {"type": kind, "sequence_number": next(seq), "response": response}))
    return SSE(tuple(events))


def _anthropic_message(fake: FakeLLMServer, body: dict[str, Any]) -> Any:
    reply, reason = _truncate(fake, body, body.get("max_tokens"))
    text = reply.text
    stop = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}.get(
        reason, reason
    )
    content: list[dict[str, Any]] = (
        [{"type": "text", "text": text}] if text or not reply.tool_calls else []
    )
    content += [
        {"type": "tool_use", "id": c["id"], "name": c["name"], "input": _args_object(c)}
        for c in reply.tool_calls
    ]
    message = {
        "id": f"msg_fake{time.monotonic_ns()}",
        "type": "message",
        "role": "assistant",
        "model": str(body.get("model", "")) + fake.model_suffix,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": count_words(body), "output_tokens": len(text.split())},
    }
    if not body.get("stream"):
        return message
    start = {
        **message,
        "content": [],
        "stop_reason": None,
        "usage": {"input_tokens": message["usage"]["input_tokens"], "output_tokens": 1},
    }
    events: list[tuple[str | None, Any]] = [
        ("message_start", {"type": "message_start", "message": start})
    ]
    for i, block in enumerate(content):
        if block["type"] == "text":
            events.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": i,
                        "content_block": {"type": "text", "text": ""},
                    },
                )
            )
            for p in _pieces(block["text"]):
                if p:
                    events.append(
                        (
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": i,
                                "delta": {"type": "text_delta", "text": p},
                            },
                        )
                    )
        else:
            events.append(
                (
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": i,
                        "content_block": {**block, "input": {}},
                    },
                )
            )
            events.append(
                (
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": i,
                        "delta": {
                            "type": "input_json_delta",
                            "partial_json": json.dumps(block["input"]),
                        },
                    },
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": i}))
    events.append(
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        )
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return SSE(tuple(events))


def _app_answer(fake: FakeLLMServer, body: dict[str, Any], *, stream: bool) -> Any:
    """An application's own JSON shape, for the ``http`` provider."""
    reply = fake._reply(body)
    n_in, n_out = count_words(body), len(reply.text.split())
    if stream:
        events: list[tuple[str | None, Any]] = [
            (None, {"delta": p}) for p in _pieces(reply.text) if p
        ]
        events.append((None, {"done": True, "usage": {"in": n_in, "out": n_out}}))
        events.append((None, "[DONE]"))
        return SSE(tuple(events))
    answer = {
        "answer": {"text": reply.text},
        "usage": {"in": n_in, "out": n_out},
        "calls": [{"name": c["name"], "args": _args_object(c)} for c in reply.tool_calls],
    }
    if reply.trajectory:
        answer["steps"] = list(reply.trajectory)
    return answer


def _leak(fake: FakeLLMServer, answer: dict[str, Any], key: str) -> dict[str, Any]:
    """``echo_key``: the received key in every field of a completion (see the module doc)."""
    if not fake.echo_key:
        return answer
    import base64
    from urllib.parse import quote

    forms = {
        "{KEY}": key,
        "{KEY_B64}": base64.b64encode(key.encode()).decode(),
        "{KEY_URL}": quote(key, safe=""),
        "{KEY_HEX}": key.encode().hex(),
    }

    def fill(text: str) -> str:
        for placeholder, value in forms.items():
            text = text.replace(placeholder, value)
        return text

    answer["model"] = f"{answer['model']}-{key}"
    if "choices" in answer:
        for choice in answer["choices"]:
            choice["message"]["content"] = fill(choice["message"]["content"])
            choice["finish_reason"] = key
    else:
        for block in answer["content"]:
            block["text"] = fill(block["text"])
        answer["stop_reason"] = key
    return answer


def _moderation(fake: FakeLLMServer, body: dict[str, Any]) -> dict[str, Any]:
    inputs = body.get("input", "")
    texts = inputs if isinstance(inputs, list) else [inputs]
    results = []
    for t in texts:
        flagged = any(term in str(t) for term in fake.flag_terms)
        score = 0.99 if flagged else 0.001
        results.append(
            {
                "flagged": flagged,
                "categories": {"harassment": flagged, "violence": False},
                "category_scores": {"harassment": score, "violence": 0.001},
            }
        )
    return {"id": "modr-fake", "model": "omni-moderation-latest", "results": results}


OPENAI_EMBEDDINGS = "/v1/embeddings"
EMBED_DIM = 64


def fake_embedding(text: str) -> list[float]:
    """Deterministic bag-of-words vector: texts sharing words point the same way."""
    import hashlib
    import math
    import re

    vec = [0.0] * EMBED_DIM
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        vec[int(hashlib.sha256(word.encode()).hexdigest(), 16) % EMBED_DIM] += 1.0
    norm = math.sqrt(sum(x * x for x in vec)) or 1.0
    return [x / norm for x in vec]


def _embeddings(body: dict[str, Any]) -> dict[str, Any]:
    """OpenAI ``POST /v1/embeddings`` with float vectors (list or single input)."""
    inputs = body.get("input")
    texts = [inputs] if isinstance(inputs, str) else list(inputs or [])
    data = [
        {"object": "embedding", "index": i, "embedding": fake_embedding(str(t))}
        for i, t in enumerate(texts)
    ]
    tokens = sum(len(str(t).split()) for t in texts)
    return {
        "object": "list",
        "data": data,
        "model": body.get("model", "fake-embed"),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def _models(anthropic: bool) -> dict[str, Any]:
    ids = ["claude-haiku-4-5", "claude-sonnet-4-6"] if anthropic else ["gpt-4o-mini", "gpt-4.1"]
    if anthropic:
        data = [
            {"type": "model", "id": i, "display_name": i, "created_at": "2025-01-01T00:00:00Z"}
            for i in ids
        ]
        return {"data": data, "has_more": False, "first_id": ids[0], "last_id": ids[-1]}
    data = [{"id": i, "object": "model", "created": 0, "owned_by": "fake"} for i in ids]
    return {"object": "list", "data": data}


def _error_body(anthropic: bool, etype: str, message: str, code: str | None = None) -> Any:
    if anthropic:
        return {"type": "error", "error": {"type": etype, "message": message}}
    return {"error": {"message": message, "type": etype, "param": None, "code": code}}


_FAULTS: dict[str, tuple[int, str, str, str | None]] = {
    # kind: (status, error type, message, openai code)
    "rate_limit": (429, "rate_limit_error", "Rate limit reached, slow down", "rate_limit_exceeded"),
    "server_error": (500, "api_error", "Internal server error", None),
    "unavailable": (503, "api_error", "Service unavailable", None),
    "overloaded": (529, "overloaded_error", "Overloaded", None),
    "auth": (401, "authentication_error", "Incorrect API key provided", "invalid_api_key"),
    "forbidden": (403, "permission_error", "Not allowed", None),
    "bad_request": (400, "invalid_request_error", "Invalid request", None),
    "not_found": (404, "not_found_error", "The model does not exist", "model_not_found"),
}


def _fault_answer(rule: FaultRule, anthropic: bool, key: str) -> tuple[int, Any, dict[str, str]]:
    """A fault's (status, payload, headers). ``echo_key=True`` puts the received key
    in the error message, like some servers do, to test redaction."""
    p = rule.params
    headers: dict[str, str] = dict(p.get("headers") or {})
    if "retry_after" in p:
        headers["retry-after"] = str(p["retry_after"])
    if "retry_after_ms" in p:
        headers["retry-after-ms"] = str(p["retry_after_ms"])
    if "retry_after_date" in p:
        headers["retry-after"] = http_date(float(p["retry_after_date"]))
    echo = f" (key: {key})" if p.get("echo_key") else ""
    kind = rule.kind
    if kind == "custom":
        return int(p.get("status", 500)), p.get("body", ""), headers
    if kind == "malformed":
        return 200, b'{"id": "chatcmpl-broken", "choices": [', headers
    if kind == "error_body":
        return 200, _error_body(anthropic, "api_error", "upstream failed" + echo), headers
    if kind == "empty":
        if anthropic:
            return 200, {"type": "message", "id": "msg_empty", "content": []}, headers
        return 200, {"id": "chatcmpl-empty", "object": "chat.completion", "choices": []}, headers
    if kind == "quota":
        if anthropic:
            msg = "Your credit balance is too low" + echo
            return 402, _error_body(True, "billing_error", msg), headers
        msg = "You exceeded your current quota" + echo
        return 429, _error_body(False, "insufficient_quota", msg, "insufficient_quota"), headers
    status, etype, message, code = _FAULTS[kind]
    return status, _error_body(anthropic, etype, p.get("message", message) + echo, code), headers


def fail_fraction(
    srv: FakeLLMServer, rate: float, kinds: list[str], *, retry_after: float = 0.05
) -> None:
    """Fail ``rate`` of all completion requests, split evenly over ``kinds``."""
    share = rate / len(kinds)
    for i, k in enumerate(kinds):  # rules are tried in order: condition each on the rest
        extra = {"retry_after": retry_after} if k == "rate_limit" else {}
        srv.fail_rate(k, share / (1 - i * share), **extra)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="fake OpenAI/Anthropic server")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--fault-rate", type=float, default=0.0, help="fraction of completions to fail")
    p.add_argument("--fault-kinds", default="rate_limit,server_error")
    p.add_argument("--retry-after", type=float, default=0.05, help="seconds, for rate_limit faults")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    srv = FakeLLMServer(host=args.host, port=args.port, latency_ms=args.latency_ms, seed=args.seed)
    if args.fault_rate > 0:
        kinds = [k.strip() for k in args.fault_kinds.split(",") if k.strip()]
        fail_fraction(srv, args.fault_rate, kinds, retry_after=args.retry_after)
    srv.start()
    print(f"fake LLM server on {srv.url}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with contextlib.suppress(KeyboardInterrupt):
        done.wait()
    srv.stop()


def http_date(seconds_from_now: float) -> str:
    return email.utils.formatdate(time.time() + seconds_from_now, usegmt=True)


# --- batch APIs: OpenAI Files + Batches, Anthropic Message Batches --------------------
#
# Batches are held in memory by ``FakeBatches`` (``server.batches``). A batch stays in
# progress for ``delay_s`` after creation; the first read after that processes every
# request through the same fault rules and answer builders as the live endpoints
# (a rule's ``path`` is the live endpoint: ``/v1/chat/completions`` or
# ``/v1/messages``), so partial failure is ``fail_when(...)`` as for live calls.
# ``expire_after`` (not None) makes batches expire after processing that many
# requests; a cancel processes ``cancel_after`` requests, the rest are cancelled.
# ``processed`` counts, per custom_id, how often a request was really answered: the
# "never resubmitted" check.

OPENAI_FILES = "/v1/files"
OPENAI_BATCHES = "/v1/batches"
ANTHROPIC_BATCHES = "/v1/messages/batches"
BATCH_PREFIXES = (OPENAI_FILES, OPENAI_BATCHES, ANTHROPIC_BATCHES)
_BATCH_ERROR_STATUS = {  # Anthropic error type of a fault's status
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    529: "overloaded_error",
}


def is_batch_path(path: str) -> bool:
    return path.startswith(BATCH_PREFIXES)


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


@dataclass
class FakeBatch:
    id: str
    api: str  # openai | anthropic
    requests: list[dict[str, Any]]  # openai: JSONL lines; anthropic: {custom_id, params}
    created: float
    meta: dict[str, Any] = field(default_factory=dict)  # openai: endpoint, window, metadata
    status: str = (
        "in_progress"  # in_progress | cancelling | completed | expired | cancelled | failed
    )
    results: list[dict[str, Any]] = field(default_factory=list)  # per request, provider shape
    output_file: str | None = None
    error_file: str | None = None
    errors: list[dict[str, Any]] | None = None
    ended: float | None = None
    cancel_asked: float | None = None


class FakeBatches:
    """In-memory batch service of a ``FakeLLMServer``; thread-safe via its lock."""

    def __init__(self, fake: FakeLLMServer) -> None:
        self.fake = fake
        self.lock = threading.Lock()
        self.files: dict[str, tuple[str, bytes]] = {}  # id -> (purpose, content)
        self.items: dict[str, FakeBatch] = {}
        self.delay_s = 0.0
        self.expire_after: int | None = None
        self.cancel_after = 0
        self.processed: collections.Counter[str] = collections.Counter()
        self.creates = 0
        self._seq = itertools.count(1)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._seq):06d}{random.getrandbits(32):08x}"

    # processing ---------------------------------------------------------------
    def settle(self, batch: FakeBatch) -> None:
        """Finish ``batch`` if its time has come (called with the lock held)."""
        now = time.time()
        if batch.status == "cancelling":
            self._finish(batch, self.cancel_after, "cancelled")
        elif batch.status == "in_progress" and now >= batch.created + self.delay_s:
            limit = self.expire_after
            self._finish(batch, len(batch.requests) if limit is None else limit,
                         "completed" if limit is None else "expired")  # fmt: skip

    def _finish(self, batch: FakeBatch, n_done: int, status: str) -> None:
        for i, req in enumerate(batch.requests):
            if i < n_done:
                batch.results.append(self._answer(batch.api, req))
            else:
                batch.results.append(self._unprocessed(batch.api, req, status))
        batch.status = status
        batch.ended = time.time()
        if batch.api == "openai":
            ok = [r for r in batch.results if r["response"] and r["response"]["status_code"] == 200]
            bad = [r for r in batch.results if r not in ok]
            batch.output_file = self._file("batch_output", ok) if ok else None
            batch.error_file = self._file("batch_output", bad) if bad else None

    def _file(self, purpose: str, lines: list[dict[str, Any]]) -> str:
        fid = self.new_id("file-")
        self.files[fid] = (purpose, b"".join(json.dumps(x).encode() + b"\n" for x in lines))
        return fid

    def _answer(self, api: str, req: dict[str, Any]) -> dict[str, Any]:
        cid = str(req.get("custom_id"))
        body = req.get("body") if api == "openai" else req.get("params")
        path = OPENAI_CHAT if api == "openai" else ANTHROPIC_MESSAGES
        rule = self.fake._pick_fault(path, body)
        if rule is not None and rule.kind not in ("hang", "disconnect"):
            status, payload, _ = _fault_answer(rule, api == "anthropic", "")
        else:
            status = 200
            build = _openai_completion if api == "openai" else _anthropic_message
            payload = build(self.fake, body if isinstance(body, dict) else {})
        if status == 200 and not isinstance(payload, dict):
            status, payload = 500, _error_body(api == "anthropic", "api_error", "malformed")
        self.processed[cid] += 1
        if api == "openai":
            return {
                "id": self.new_id("batch_req_"),
                "custom_id": cid,
                "response": {"status_code": status, "request_id": "req_fake", "body": payload},
                "error": None,
            }
        if status == 200:
            return {"custom_id": cid, "result": {"type": "succeeded", "message": payload}}
        err = payload.get("error", {}) if isinstance(payload, dict) else {}
        etype = err.get("type") or _BATCH_ERROR_STATUS.get(status, "api_error")
        error = {"type": "error", "error": {"type": etype, "message": err.get("message", "")}}
        return {"custom_id": cid, "result": {"type": "errored", "error": error}}

    @staticmethod
    def _unprocessed(api: str, req: dict[str, Any], status: str) -> dict[str, Any]:
        cid = str(req.get("custom_id"))
        if api == "anthropic":
            return {"custom_id": cid, "result": {"type": "canceled" if status == "cancelled"
                                                 else "expired"}}  # fmt: skip
        code = "batch_cancelled" if status == "cancelled" else "batch_expired"
        message = f"This request was not executed: the batch was {status}."
        return {"id": "batch_req_none", "custom_id": cid, "response": None,
                "error": {"code": code, "message": message}}  # fmt: skip

    # wire shapes --------------------------------------------------------------
    def openai_view(self, b: FakeBatch) -> dict[str, Any]:
        done = [r for r in b.results if r["response"] is not None]
        ok = sum(1 for r in done if r["response"]["status_code"] == 200)
        ended = b.status in ("completed", "expired", "cancelled", "failed")
        stamp = int(b.ended) if b.ended else None
        return {
            "id": b.id,
            "object": "batch",
            "endpoint": b.meta.get("endpoint", OPENAI_CHAT),
            "errors": {"object": "list", "data": b.errors} if b.errors else None,
            "input_file_id": b.meta.get("input_file_id", ""),
            "completion_window": b.meta.get("completion_window", "24h"),
            "status": b.status,
            "output_file_id": b.output_file,
            "error_file_id": b.error_file,
            "created_at": int(b.created),
            "in_progress_at": int(b.created),
            "expires_at": int(b.created) + 86400,
            "completed_at": stamp if b.status == "completed" else None,
            "expired_at": stamp if b.status == "expired" else None,
            "cancelled_at": stamp if b.status == "cancelled" else None,
            "failed_at": stamp if b.status == "failed" else None,
            "cancelling_at": int(b.cancel_asked) if b.cancel_asked else None,
            "request_counts": {
                "total": len(b.requests),
                "completed": ok if ended else 0,
                "failed": len(b.requests) - ok if ended else 0,
            },
            "metadata": b.meta.get("metadata"),
        }

    def anthropic_view(self, b: FakeBatch, base_url: str) -> dict[str, Any]:
        counts = collections.Counter(r["result"]["type"] for r in b.results)
        ended = b.ended is not None
        status = "ended" if ended else ("canceling" if b.status == "cancelling" else "in_progress")
        return {
            "id": b.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": {
                "processing": 0 if ended else len(b.requests),
                "succeeded": counts["succeeded"],
                "errored": counts["errored"],
                "canceled": counts["canceled"],
                "expired": counts["expired"],
            },
            "created_at": _iso(b.created),
            "expires_at": _iso(b.created + 86400),
            "ended_at": _iso(b.ended) if b.ended else None,
            "cancel_initiated_at": _iso(b.cancel_asked) if b.cancel_asked else None,
            "archived_at": None,
            "results_url": f"{base_url}{ANTHROPIC_BATCHES}/{b.id}/results" if ended else None,
        }


def _multipart(headers: dict[str, str], raw: bytes) -> dict[str, bytes]:
    """Form fields of a multipart/form-data body (the Files upload)."""
    import email.parser
    import email.policy

    head = f"Content-Type: {headers.get('content-type', '')}\r\n\r\n".encode()
    msg = email.parser.BytesParser(policy=email.policy.default).parsebytes(head + raw)
    fields: dict[str, bytes] = {}
    for part in msg.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str):
            fields[name] = payload if isinstance(payload, bytes) else b""
    return fields


def batch_route(
    fake: FakeLLMServer, method: str, path: str, raw: bytes, headers: dict[str, str]
) -> tuple[int, Any, dict[str, str]]:
    """(status, payload, headers) of a Files / Batches / Message Batches request."""
    svc = fake.batches
    anthropic = path.startswith(ANTHROPIC_BATCHES)
    try:
        body: Any = json.loads(raw) if raw and not path.startswith(OPENAI_FILES) else None
    except ValueError:
        return 400, _error_body(anthropic, "invalid_request_error", "body is not JSON"), {}
    parts = path.rstrip("/").split("/")
    with svc.lock:
        if anthropic:
            return _anthropic_batches(svc, method, parts[4:], body, fake.url)
        if path.startswith(OPENAI_FILES):
            return _openai_files(svc, method, parts[3:], raw, headers)
        return _openai_batches(svc, method, parts[3:], body)


def _not_found(anthropic: bool, what: str) -> tuple[int, Any, dict[str, str]]:
    return 404, _error_body(anthropic, "not_found_error", f"no such {what}"), {}


def _openai_files(
    svc: FakeBatches, method: str, rest: list[str], raw: bytes, headers: dict[str, str]
) -> tuple[int, Any, dict[str, str]]:
    if method == "POST" and not rest:
        form = _multipart({k.lower(): v for k, v in headers.items()}, raw)
        fid = svc.new_id("file-")
        content = form.get("file", b"")
        svc.files[fid] = (form.get("purpose", b"batch").decode(), content)
        return 200, {"id": fid, "object": "file", "bytes": len(content),
                     "created_at": int(time.time()), "filename": "batch.jsonl",
                     "purpose": form.get("purpose", b"batch").decode(),
                     "status": "processed"}, {}  # fmt: skip
    if not rest or rest[0] not in svc.files:
        return _not_found(False, "file")
    purpose, content = svc.files[rest[0]]
    if method == "GET" and rest[1:] == ["content"]:
        return 200, content, {}
    if method == "GET" and not rest[1:]:
        return 200, {"id": rest[0], "object": "file", "bytes": len(content),
                     "created_at": 0, "filename": "batch.jsonl", "purpose": purpose,
                     "status": "processed"}, {}  # fmt: skip
    return _not_found(False, "route")


def _openai_batches(
    svc: FakeBatches, method: str, rest: list[str], body: Any
) -> tuple[int, Any, dict[str, str]]:
    if method == "POST" and not rest:
        if not isinstance(body, dict) or body.get("input_file_id") not in svc.files:
            return 400, _error_body(False, "invalid_request_error", "unknown input_file_id"), {}
        lines, errors = [], []
        for n, line in enumerate(svc.files[body["input_file_id"]][1].splitlines(), 1):
            try:
                item = json.loads(line)
            except ValueError:
                item = None
            if isinstance(item, dict):
                lines.append(item)
            else:
                errors.append(
                    {"code": "invalid_json_line", "message": "not a JSON object", "line": n}
                )
        ids = [str(x.get("custom_id")) for x in lines]
        if len(set(ids)) != len(ids):
            errors.append({"code": "duplicate_custom_id", "message": "custom_id repeats"})
        batch = FakeBatch(svc.new_id("batch_"), "openai", lines, time.time(), dict(body))
        if errors:
            batch.status, batch.errors, batch.ended = "failed", errors, time.time()
        svc.items[batch.id] = batch
        svc.creates += 1
        return 200, svc.openai_view(batch), {}
    if method == "GET" and not rest:  # list, newest first, cursor "after"
        items = sorted(
            (b for b in svc.items.values() if b.api == "openai"), key=lambda b: -b.created
        )
        return 200, _page(svc, items, None, svc.openai_view), {}
    batch = svc.items.get(rest[0]) if rest else None
    if batch is None or batch.api != "openai":
        return _not_found(False, "batch")
    if method == "POST" and rest[1:] == ["cancel"]:
        if batch.status == "in_progress":
            batch.status, batch.cancel_asked = "cancelling", time.time()
        return 200, svc.openai_view(batch), {}
    if method == "GET" and not rest[1:]:
        svc.settle(batch)
        return 200, svc.openai_view(batch), {}
    return _not_found(False, "route")


def _page(svc: FakeBatches, items: list[FakeBatch], base_url: str | None, view: Any) -> Any:
    data = [view(b) if base_url is None else view(b, base_url) for b in items]
    if base_url is None:
        return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None, "has_more": False}  # fmt: skip
    return {"data": data, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None, "has_more": False}  # fmt: skip


def _anthropic_batches(
    svc: FakeBatches, method: str, rest: list[str], body: Any, base_url: str
) -> tuple[int, Any, dict[str, str]]:
    if method == "POST" and not rest:
        reqs = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(reqs, list) or not reqs:
            return 400, _error_body(True, "invalid_request_error", "requests: required"), {}
        ids = [str(r.get("custom_id")) for r in reqs]
        if len(set(ids)) != len(ids):
            return 400, _error_body(True, "invalid_request_error", "custom_id repeats"), {}
        batch = FakeBatch(svc.new_id("msgbatch_"), "anthropic", reqs, time.time())
        svc.items[batch.id] = batch
        svc.creates += 1
        return 200, svc.anthropic_view(batch, base_url), {}
    if method == "GET" and not rest:
        items = sorted(
            (b for b in svc.items.values() if b.api == "anthropic"), key=lambda b: -b.created
        )
        return 200, _page(svc, items, base_url, svc.anthropic_view), {}
    batch = svc.items.get(rest[0]) if rest else None
    if batch is None or batch.api != "anthropic":
        return _not_found(True, "message batch")
    if method == "POST" and rest[1:] == ["cancel"]:
        if batch.status == "in_progress":
            batch.status, batch.cancel_asked = "cancelling", time.time()
        return 200, svc.anthropic_view(batch, base_url), {}
    if method == "GET" and not rest[1:]:
        svc.settle(batch)
        return 200, svc.anthropic_view(batch, base_url), {}
    if method == "GET" and rest[1:] == ["results"]:
        if batch.ended is None:
            return 400, _error_body(True, "invalid_request_error", "batch still processing"), {}
        return 200, b"".join(json.dumps(r).encode() + b"\n" for r in batch.results), {}
    return _not_found(True, "route")


if __name__ == "__main__":
    main()
