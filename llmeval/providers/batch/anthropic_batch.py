"""Anthropic's Message Batches API: ``messages.batches.create`` with the requests
inline, ``retrieve`` until ``processing_status`` is ``ended``, then ``results``.

Anthropic batches carry no metadata, so a batch created by a process killed before it
could record the id is recognised by its size and creation time (at or after the
intent recorded just before the create, and not a batch of another state).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from llmeval.domain.request import CompletionRequest
from llmeval.errors import ProviderError
from llmeval.providers import errors as perr
from llmeval.providers.anthropic import PROVIDER, AnthropicProvider, messages_kwargs, to_completion
from llmeval.providers.batch.backend import Remote, sdk_call
from llmeval.providers.batch.results import ANTHROPIC_ERROR_STATUS, Outcome
from llmeval.providers.batch.state import BatchState
from llmeval.providers.pricing import cost

CLOCK_SKEW_S = 120.0  # our clock vs. the API's created_at


class AnthropicBatch:
    api = "anthropic"
    max_requests = 100_000  # the API's limit per batch (and 256 MB)

    def __init__(self, provider: AnthropicProvider) -> None:
        self.provider = provider
        self.spec = provider.spec

    async def _call(self, fn: Any) -> Any:
        import anthropic

        return await sdk_call(anthropic, PROVIDER, self.provider.key_env, fn)

    def entry(self, key: str, request: CompletionRequest) -> dict[str, Any]:
        params = messages_kwargs(self.spec, request)
        params.update(params.pop("extra_body", {}))
        return {"custom_id": key, "params": params}

    async def upload(self, entries: list[dict[str, Any]]) -> str | None:
        return None  # requests travel inline with the create

    async def create(self, state: BatchState, entries: list[dict[str, Any]]) -> str:
        client = self.provider._get_client()
        b = await self._call(lambda: client.messages.batches.create(requests=entries))
        return str(b.id)

    async def find(self, state: BatchState, exclude: set[str]) -> str | None:
        client = self.provider._get_client()
        page = await self._call(lambda: client.messages.batches.list(limit=100))
        found: list[tuple[float, str]] = []
        async for b in page:  # newest first
            created = b.created_at.timestamp()
            if created < state.intent_at - CLOCK_SKEW_S:
                break
            total = sum(self._counts(b).values())
            if total == len(state.keys) and b.id not in exclude:
                found.append((created, str(b.id)))
        return min(found)[1] if found else None  # the first one after the intent

    @staticmethod
    def _counts(b: Any) -> dict[str, int]:
        c = b.request_counts
        names = ("processing", "succeeded", "errored", "canceled", "expired")
        return {n: int(getattr(c, n, 0) or 0) for n in names}

    def _remote(self, b: Any) -> Remote:
        return Remote(
            status=str(b.processing_status), ended=b.processing_status == "ended",
            counts=self._counts(b),
        )  # fmt: skip

    async def retrieve(self, state: BatchState) -> Remote:
        client = self.provider._get_client()
        b = await self._call(lambda: client.messages.batches.retrieve(state.batch_id))
        return self._remote(b)

    async def cancel(self, state: BatchState) -> Remote:
        client = self.provider._get_client()
        return self._remote(
            await self._call(lambda: client.messages.batches.cancel(state.batch_id))
        )

    async def outcomes(self, state: BatchState) -> list[Outcome]:
        client = self.provider._get_client()

        async def read() -> list[Outcome]:
            decoder = await client.messages.batches.results(state.batch_id)
            return [self._outcome(r) async for r in decoder]

        return list(await self._call(read))

    def _outcome(self, r: Any) -> Outcome:
        key = str(r.custom_id)
        result = r.result
        if result.type in ("canceled", "expired"):
            return Outcome.unprocessed(key, result.type)
        if result.type == "errored":
            inner = getattr(result.error, "error", None)
            etype = str(getattr(inner, "type", "api_error"))
            message = str(getattr(inner, "message", ""))
            status = ANTHROPIC_ERROR_STATUS.get(etype, 500)
            body = {"error": {"type": etype, "message": message}}
            return Outcome.failed(key, perr.status_error(PROVIDER, status, {}, body))
        try:
            c = to_completion(self.spec, result.message, 0.0)
        except ProviderError as err:
            return Outcome.failed(key, err)
        batch_cost = cost(self.spec, c.model_id, c.input_tokens, c.output_tokens, batch=True)
        return Outcome(key, replace(c, cost_usd=batch_cost))
