"""A local fake LLM server speaking the OpenAI and Anthropic wire formats.

Used by the test suite (real SDKs talk to it over HTTP) and by the benchmarks::

    python tests/fakeserver.py --port 8765 --latency-ms 50 [--fault-rate 0.2]

Endpoints: OpenAI ``POST /v1/chat/completions``, ``POST /v1/moderations``,
``POST /v1/embeddings`` (deterministic bag-of-words vectors),
``GET /v1/models``; Anthropic ``POST /v1/messages``,
``POST /v1/messages/count_tokens``; control ``GET /_fake/stats``,
``POST /_fake/reset`` (for a server in another process).

Replies: the next scripted reply (``script``), else ``responder(request_json)``,
else the last user message verbatim. Tokens are whitespace-separated words.
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
ANTHROPIC_MESSAGES = "/v1/messages"
COMPLETION_PATHS = (OPENAI_CHAT, ANTHROPIC_MESSAGES)

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


def last_user_message(body: Any) -> str | None:
    if not isinstance(body, dict):
        return None
    for m in reversed(body.get("messages") or []):
        if isinstance(m, dict) and m.get("role") == "user":
            return _text_of(m.get("content"))
    return None


def count_words(body: Any) -> int:
    if not isinstance(body, dict):
        return 0
    n = len(_text_of(body.get("system")).split()) if "system" in body else 0
    for m in body.get("messages") or []:
        if isinstance(m, dict):
            n += len(_text_of(m.get("content")).split())
    return n


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
        self.flag_terms = tuple(flag_terms)
        self.echo_key = echo_key
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rules: list[FaultRule] = []
        self._script: collections.deque[str] = collections.deque()
        self._records: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

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
    def script(self, *replies: str) -> None:
        """Queue replies; each successful completion uses the next one."""
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

    def _reply_text(self, body: Any) -> str:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            return str(self.responder(body))
        return last_user_message(body) or ""

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
        fake._sleep(fake.latency_ms / 1000.0)
        if rule is not None and rule.kind == "hang":
            fake._sleep(float(rule.params.get("seconds", fake.hang_s)))
            rule = None  # then answer normally, if anyone still listens
        if rule is not None and rule.kind == "disconnect":
            status, payload, headers = 0, None, {}
        elif rule is not None:
            status, payload, headers = _fault_answer(rule, anthropic, self._key())
        else:
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
                self._send(status, payload, headers)
        except OSError:  # the client went away (timed out) before we answered
            fake._replace(rec, dataclasses.replace(rec, status=0))

    def _key(self) -> str:
        auth = self.headers.get("authorization", "")
        return self.headers.get("x-api-key") or auth.removeprefix("Bearer ").strip()

    def _route(self, path: str, body: Any, anthropic: bool) -> tuple[int, Any, dict[str, str]]:
        if self.command == "POST" and body is None:
            return 400, _error_body(anthropic, "invalid_request_error", "body is not JSON"), {}
        if path == OPENAI_CHAT and self.command == "POST":
            return 200, _leak(self.fake, _openai_completion(self.fake, body), self._key()), {}
        if path == ANTHROPIC_MESSAGES and self.command == "POST":
            return 200, _leak(self.fake, _anthropic_message(self.fake, body), self._key()), {}
        if path == ANTHROPIC_MESSAGES + "/count_tokens" and self.command == "POST":
            return 200, {"input_tokens": count_words(body)}, {}
        if path == "/v1/moderations" and self.command == "POST":
            return 200, _moderation(self.fake, body), {}
        if path == OPENAI_EMBEDDINGS and self.command == "POST":
            return 200, _embeddings(body), {}
        if path == "/v1/models" and self.command == "GET":
            return 200, _models(anthropic), {}
        return 404, _error_body(anthropic, "not_found_error", f"no route {path}"), {}

    def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
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
        self._headers_buffer.append(data)  # headers and body in one segment
        self.flush_headers()


def _truncate(fake: FakeLLMServer, body: dict[str, Any], max_tokens: Any) -> tuple[str, str]:
    """(text, reason) with reason one of stop | length | stop_sequence."""
    text = fake._reply_text(body)
    stops = body.get("stop") or body.get("stop_sequences") or []
    if isinstance(stops, str):
        stops = [stops]
    for s in stops:
        if s and s in text:
            return text[: text.index(s)], "stop_sequence"
    words = text.split()
    if isinstance(max_tokens, int) and len(words) > max_tokens:
        return " ".join(words[:max_tokens]), "length"
    return text, "stop"


def _openai_completion(fake: FakeLLMServer, body: dict[str, Any]) -> dict[str, Any]:
    limit = body.get("max_completion_tokens", body.get("max_tokens"))
    text, reason = _truncate(fake, body, limit)
    n_in, n_out = count_words(body), len(text.split())
    return {
        "id": f"chatcmpl-fake{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model", "")) + fake.model_suffix,
        "system_fingerprint": "fp_fake",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "finish_reason": "stop" if reason == "stop_sequence" else reason,
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out},
    }


def _anthropic_message(fake: FakeLLMServer, body: dict[str, Any]) -> dict[str, Any]:
    text, reason = _truncate(fake, body, body.get("max_tokens"))
    stop = {"stop": "end_turn", "length": "max_tokens"}.get(reason, reason)
    return {
        "id": f"msg_fake{time.monotonic_ns()}",
        "type": "message",
        "role": "assistant",
        "model": str(body.get("model", "")) + fake.model_suffix,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": count_words(body), "output_tokens": len(text.split())},
    }


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


if __name__ == "__main__":
    main()
