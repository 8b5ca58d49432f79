"""OpenAI's Batch API: a JSONL file of chat requests (Files API), ``batches.create``,
``batches.retrieve`` until it ends, then the output and error files.

The submission token goes into the batch's ``metadata``, so a batch created by a
process killed before it could record the id is found again with ``batches.list``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from llmeval.domain.request import CompletionRequest
from llmeval.errors import BadRequestError, ProviderError
from llmeval.providers import errors as perr
from llmeval.providers.batch.backend import Remote, sdk_call
from llmeval.providers.batch.results import UNPROCESSED, Outcome
from llmeval.providers.batch.state import BatchState
from llmeval.providers.openai import PROVIDER, OpenAIProvider, chat_kwargs, to_completion
from llmeval.providers.pricing import cost

ENDPOINT = "/v1/chat/completions"
ENDED = frozenset({"completed", "failed", "expired", "cancelled"})
TOKEN_KEY = "llmeval_token"
FIND_WINDOW_S = 600.0  # how far before the recorded intent a found batch may be dated


class OpenAIBatch:
    api = "openai"
    max_requests = 50_000  # the API's limit per batch (and 200 MB per file)

    def __init__(self, provider: OpenAIProvider) -> None:
        self.provider = provider
        self.spec = provider.spec

    async def _call(self, fn: Any) -> Any:
        import openai

        return await sdk_call(openai, PROVIDER, self.provider.key_env, fn)

    def entry(self, key: str, request: CompletionRequest) -> dict[str, Any]:
        body = chat_kwargs(self.spec, request)
        body.update(body.pop("extra_body", {}))
        return {"custom_id": key, "method": "POST", "url": ENDPOINT, "body": body}

    async def upload(self, entries: list[dict[str, Any]]) -> str | None:
        data = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries).encode()
        client = self.provider._get_client()
        f = await self._call(
            lambda: client.files.create(
                file=("llmeval-batch.jsonl", data, "application/jsonl"), purpose="batch"
            )
        )
        return str(f.id)

    async def create(self, state: BatchState, entries: list[dict[str, Any]]) -> str:
        client = self.provider._get_client()
        b = await self._call(
            lambda: client.batches.create(
                input_file_id=state.input_file_id,
                endpoint=ENDPOINT,
                completion_window="24h",
                metadata={TOKEN_KEY: state.token, "llmeval_batch": state.name},
            )
        )
        return str(b.id)

    async def find(self, state: BatchState, exclude: set[str]) -> str | None:
        client = self.provider._get_client()
        page = await self._call(lambda: client.batches.list(limit=100))
        async for b in page:  # newest first; stop well before the intent
            if b.created_at < state.intent_at - FIND_WINDOW_S:
                break
            if (b.metadata or {}).get(TOKEN_KEY) == state.token and b.id not in exclude:
                return str(b.id)
        return None

    def _remote(self, b: Any) -> Remote:
        counts = b.request_counts
        return Remote(
            status=str(b.status),
            ended=b.status in ENDED,
            counts={
                "total": int(getattr(counts, "total", 0) or 0),
                "completed": int(getattr(counts, "completed", 0) or 0),
                "failed": int(getattr(counts, "failed", 0) or 0),
            },
            output_file_id=b.output_file_id,
            error_file_id=b.error_file_id,
        )

    async def retrieve(self, state: BatchState) -> Remote:
        client = self.provider._get_client()
        return self._remote(await self._call(lambda: client.batches.retrieve(state.batch_id)))

    async def cancel(self, state: BatchState) -> Remote:
        client = self.provider._get_client()
        return self._remote(await self._call(lambda: client.batches.cancel(state.batch_id)))

    async def _lines(self, file_id: str | None) -> list[dict[str, Any]]:
        if not file_id:
            return []
        client = self.provider._get_client()
        content = await self._call(lambda: client.files.content(file_id))
        return [json.loads(x) for x in content.text.splitlines() if x.strip()]

    async def outcomes(self, state: BatchState) -> list[Outcome]:
        if state.remote_status == "failed":  # the input file was refused as a whole
            client = self.provider._get_client()
            b = await self._call(lambda: client.batches.retrieve(state.batch_id))
            why = (
                "; ".join(e.message or e.code or "" for e in (b.errors.data or []))
                if b.errors
                else ""
            )
            err = BadRequestError(
                f"openai batch failed validation: {perr.short(why or 'no reason')}"
            )
            return [Outcome.failed(k, err) for k in state.keys]
        lines = await self._lines(state.output_file_id) + await self._lines(state.error_file_id)
        return [self._outcome(line) for line in lines if line.get("custom_id")]

    def _outcome(self, line: dict[str, Any]) -> Outcome:
        from openai.types.chat import ChatCompletion

        key = str(line["custom_id"])
        resp = line.get("response")
        error = line.get("error")
        if resp is None or error:
            code = str((error or {}).get("code") or "missing")
            if code in UNPROCESSED:
                return Outcome.unprocessed(key, code)
            message = perr.short((error or {}).get("message") or code)
            return Outcome.failed(key, ProviderError(f"openai batch error {code}: {message}"))
        status = int(resp.get("status_code") or 0)
        body = resp.get("body")
        try:
            if status != 200:
                raise perr.status_error(PROVIDER, status, {}, body, key_env=self.provider.key_env)
            c = to_completion(self.spec, ChatCompletion.model_validate(body), 0.0)
        except ProviderError as err:
            return Outcome.failed(key, err)
        except ValueError:  # a body that is not a chat completion
            return Outcome.failed(key, perr.malformed(PROVIDER, "batch line is not a completion"))
        batch_cost = cost(self.spec, c.model_id, c.input_tokens, c.output_tokens, batch=True)
        return Outcome(key, replace(c, cost_usd=batch_cost))
