"""An application behind HTTP as the target (``provider: http``), on httpx and jmespath.

The request body is built from the configured template: in a mapping or list body a
string that is exactly one ``{{ expression }}`` becomes that value as JSON (a list of
messages stays a list), any other string is rendered as text; a JSON-text body has
every ``{{ expression }}`` written as a JSON literal. Either way values are JSON-escaped
by the encoder, never spliced in as raw text. The template sees ``prompt`` (the last
user message), ``messages``, ``vars``, ``tools``, ``tool_choice``, ``params`` and
``model``; never the environment. Headers see only ``{{ env.NAME }}`` and
``{{ api_key }}``, resolved once at construction (a missing variable is a config error
before any call), and every such value is redacted wherever text leaves the process.

The answer is read with the JMESPath expressions of ``extract``; with ``stream: true``
it is server-sent events, ``stream_delta`` giving each event's text (``[DONE]`` ends).
HTTP errors map to llmeval's error tree like the SDK providers' (429 with Retry-After,
5xx transient, 401/403 auth, other 4xx bad request), so the same cache, retry, limits
and circuit breaker stack wraps it.

Trajectories: ``extract.trajectory`` reads the app's own list of steps from the answer
(``llmeval.traces.steps``). With ``traces: otlp`` every request carries a fresh W3C
``traceparent``; the app exports its spans over OTLP/HTTP JSON to llmeval's local
receiver (``llmeval.traces.receiver``; its URL is ``{{ otlp_endpoint }}`` in the body
template, or fixed with ``otlp_port``), and after the answer llmeval waits at most
``traces_wait_ms`` for that trace's spans, which become the trajectory (unless the
answer reported one itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
from dataclasses import replace
from pathlib import Path
from typing import Any

from llmeval.domain.model import HttpTarget, ModelSpec
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.domain.tools import ToolCall
from llmeval.errors import (
    BadRequestError,
    ConfigError,
    ProviderError,
    ProviderTimeout,
    TransientError,
)
from llmeval.providers import errors as perr
from llmeval.providers.assembly import Parts, Timer
from llmeval.providers.http_body import render_body
from llmeval.providers.secrets import register_secret_env

PROVIDER = "http"
DEFAULT_TIMEOUT_S = 60.0
_HEADER_REF = re.compile(r"\{\{\s*(env\.([A-Za-z_][A-Za-z0-9_]*)|api_key)\s*\}\}")


def _httpx() -> Any:
    try:  # the HTTP library the installed openai SDK is built on
        import httpx2

        return httpx2
    except ImportError:  # pragma: no cover - older SDKs use httpx itself
        import httpx

        return httpx


def resolve_headers(target: HttpTarget, alias: str, api_key_env: str | None) -> dict[str, str]:
    """Header values with their env references filled in; ConfigError if one is unset."""
    key = None
    if api_key_env:
        register_secret_env(api_key_env)
        key = os.environ.get(api_key_env, "").strip()
        if not key:
            raise ConfigError(
                f"environment variable {api_key_env} is not set (needed by model '{alias}')"
            )

    def fill(m: re.Match[str]) -> str:
        if m.group(1) == "api_key":
            return key or ""
        name = m.group(2)
        register_secret_env(name)
        value = os.environ.get(name, "")
        if not value:
            raise ConfigError(f"environment variable {name} is not set (needed by model '{alias}')")
        return value

    headers = {name: _HEADER_REF.sub(fill, value) for name, value in target.headers.items()}
    uses_key = any(
        m.group(1) == "api_key" for v in target.headers.values() for m in _HEADER_REF.finditer(v)
    )
    if key and not uses_key:
        headers.setdefault("Authorization", f"Bearer {key}")
    return headers


def _search(expr: str | None, data: Any) -> Any:
    if not expr:
        return None
    import jmespath

    return jmespath.compile(expr).search(data)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def tool_calls_of(value: Any) -> list[ToolCall]:
    """Tool calls from whatever the expression found: a list of ``{name, arguments}``
    (also ``args`` / ``input``, or OpenAI's ``{id, function: {name, arguments}}``)."""
    if isinstance(value, dict):
        value = [value]
    calls = []
    for item in value if isinstance(value, list) else ():
        if not isinstance(item, dict):
            continue
        inner = item.get("function")
        fn: dict[str, Any] = inner if isinstance(inner, dict) else item
        args: Any = next((fn[k] for k in ("arguments", "args", "input") if k in fn), {})
        calls.append(ToolCall.from_wire(str(fn.get("name", "")), args, str(item.get("id") or "")))
    return calls


def extract_parts(target: HttpTarget, data: Any, parts: Parts) -> None:
    """Fill ``parts`` from one JSON answer (or one event) with the ``extract`` expressions."""
    ex = target.extract
    for key, attr in (("input_tokens", "input_tokens"), ("output_tokens", "output_tokens")):
        found = _search(ex.get(key), data)
        if found is not None:
            setattr(parts, attr, _int(found))
    spent = _search(ex.get("cost"), data)
    if isinstance(spent, int | float) and not isinstance(spent, bool):
        parts.cost_usd = float(spent)
    calls = _search(ex.get("tool_calls"), data)
    if calls:
        parts.tool_calls = tool_calls_of(calls)
    reason = _search(ex.get("finish_reason"), data)
    if reason is not None:
        parts.finish_reason = str(reason)
    steps = _search(ex.get("trajectory"), data)
    if steps is not None:
        from llmeval.traces.steps import steps_from_target

        parts.trajectory = steps_from_target(steps)


class HttpProvider:
    def __init__(self, spec: ModelSpec, root: Path | None = None) -> None:
        if spec.http is None:
            raise ConfigError(f"model '{spec.alias}' has no http settings (url, body, extract)")
        self.spec = spec
        self.target = spec.http
        self.timeout_s = spec.timeout_s or DEFAULT_TIMEOUT_S
        self._headers = resolve_headers(self.target, spec.alias, spec.api_key_env)
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._receiver: Any = None  # traces: otlp -- started on the first request

    def __repr__(self) -> str:  # never show the headers
        return f"HttpProvider(alias={self.spec.alias!r}, url={self.target.url!r})"

    def warm(self) -> None:
        """Build the client now (on the run's loop), like the SDK providers."""
        self._get_client()

    def _get_client(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client = _httpx().AsyncClient(timeout=self.timeout_s)
            self._loop = loop
        return self._client

    def _otlp(self) -> Any:
        if self._receiver is None:
            from llmeval.traces import receiver

            try:
                self._receiver = receiver.acquire(self.target.otlp_port)
            except OSError as e:
                raise BadRequestError(
                    f"the OTLP receiver cannot listen on 127.0.0.1:{self.target.otlp_port}: "
                    f"{e.strerror or e}"
                ) from None
        return self._receiver

    async def aclose(self) -> None:
        found, self._receiver = self._receiver, None
        if found is not None:
            from llmeval.traces import receiver

            receiver.release(found)
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(RuntimeError):
                await client.aclose()

    def context(self, request: CompletionRequest) -> dict[str, Any]:
        prompt = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        extra = {"otlp_endpoint": self._otlp().endpoint} if self.spec.traces == "otlp" else {}
        return {
            **extra,
            "prompt": prompt,
            "messages": [m.to_json() for m in request.messages],
            "vars": dict(request.vars),
            "tools": [t.to_json() for t in request.tools],
            "tool_choice": request.tool_choice.to_json() if request.tool_choice else None,
            "params": {**self.spec.params, **request.params},
            "model": self.spec.model,
        }

    async def complete(self, request: CompletionRequest) -> Completion:
        from jinja2 import TemplateError

        try:
            body = (
                render_body(self.target.body, self.context(request))
                if self.target.body is not None
                else None
            )
        except TemplateError as e:
            raise BadRequestError(f"http body template: {perr.short(str(e))}") from None
        httpx = _httpx()
        trace = None
        if self.spec.traces == "otlp":
            # a fresh trace per request (so per attempt): the app's spans are its children
            trace = (secrets.token_hex(16), secrets.token_hex(8))
            self._otlp().expect(trace[0])
        timer = Timer()
        failure: ProviderError | None = None
        try:
            parts = await self._send(body, timer, trace)
        except ProviderError as e:
            failure = e
        except httpx.TimeoutException:
            failure = ProviderTimeout("http request timed out")
        except httpx.HTTPError as e:
            failure = TransientError(f"http connection error ({type(e).__name__})")
        if failure is not None:
            if trace is not None:
                self._otlp().forget(trace[0])
            raise failure  # outside the except: no chained error quoting the body
        completion = parts.completion(self.spec, timer.elapsed_ms(), timer.ttft_ms)
        if trace is None:
            return completion
        # waited for after the answer is timed: latency stays the app's own
        spans = await self._otlp().collect(*trace, self.target.traces_wait_ms / 1000.0)
        if completion.trajectory or not spans:
            return completion  # what the answer reported wins over its spans
        from llmeval.traces.spans import spans_to_steps

        return replace(completion, trajectory=spans_to_steps(spans))

    async def _send(self, body: Any, timer: Timer, trace: tuple[str, str] | None) -> Parts:
        client = self._get_client()
        headers = self._headers
        if trace is not None:
            headers = {**headers, "traceparent": f"00-{trace[0]}-{trace[1]}-01"}
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None and self.target.method != "GET":
            kwargs["json"] = body
        if self.spec.stream:
            async with client.stream(self.target.method, self.target.url, **kwargs) as resp:
                if resp.status_code >= 400:
                    raw = await resp.aread()
                    raise perr.status_error(PROVIDER, resp.status_code, resp.headers, raw)
                return await self._read_events(resp, timer)
        resp = await client.request(self.target.method, self.target.url, **kwargs)
        if resp.status_code >= 400:
            raise perr.status_error(PROVIDER, resp.status_code, resp.headers, resp.content)
        return self._read_body(resp.text)

    def _read_body(self, text: str) -> Parts:
        parts = Parts(model_id=self.spec.model)
        expr = self.target.extract.get("output")
        try:
            data = json.loads(text)
        except ValueError:
            if expr or self.target.extract:
                raise perr.malformed(PROVIDER, "body is not JSON") from None
            parts.text = text  # no extraction configured: the body is the answer
            return parts
        if expr:
            found = _search(expr, data)
            if found is None and not self.target.extract.get("tool_calls"):
                raise perr.malformed(PROVIDER, f"'{expr}' found nothing in the answer")
            parts.text = _as_text(found)
        else:
            parts.text = _as_text(data)
        extract_parts(self.target, data, parts)
        return parts

    async def _read_events(self, resp: Any, timer: Timer) -> Parts:
        parts = Parts(model_id=self.spec.model)
        pieces: list[str] = []
        data_lines: list[str] = []
        done = False

        def event(data: str) -> None:
            nonlocal done
            if data.strip() == "[DONE]":
                done = True
                return
            try:
                obj = json.loads(data)
            except ValueError:
                obj = data
            delta = _search(self.target.stream_delta, obj) if not isinstance(obj, str) else obj
            if isinstance(delta, str) and delta:
                timer.token()
                pieces.append(delta)
            if not isinstance(obj, str):
                extract_parts(self.target, obj, parts)

        async for line in resp.aiter_lines():
            if line.startswith("data:"):
                data_lines.append(line[5:].removeprefix(" "))
            elif not line.strip() and data_lines:
                event("\n".join(data_lines))
                data_lines = []
            if done:
                break
        if data_lines and not done:
            event("\n".join(data_lines))
        parts.text = "".join(pieces)
        if not parts.text and not parts.tool_calls:
            raise perr.malformed(PROVIDER, "the event stream held no text")
        return parts
