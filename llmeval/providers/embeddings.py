"""Embedding models behind the ordinary ``Provider`` interface.

A request with ``purpose="embed"`` carries one message per text; the completion's text
is the JSON list of vectors. Shaped like this, embeddings go through the same stack as
every other call (``Cached -> Retrying -> Breaker -> Limited``): the cache key includes
the purpose, so an embedding never collides with a chat answer.

- ``provider: openai`` (and any OpenAI-compatible ``base_url``): the real SDK's
  ``client.embeddings.create``.
- ``provider: python`` with ``target: file.py:function``: ``function(texts) -> vectors``
  (a list of texts in, a list of float lists out), run in the project like a target.
"""

from __future__ import annotations

import asyncio
import json
import weakref
from pathlib import Path
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import ConfigError, ProviderError
from llmeval.providers import errors as perr
from llmeval.providers.openai import DEFAULT_KEY_ENV
from llmeval.providers.sdk import SDKProvider

PURPOSE = "embed"


def embed_request(spec: ModelSpec, texts: list[str], repeat: int = 0) -> CompletionRequest:
    """The request for ``texts``; ``repeat`` is 0: an embedding is deterministic."""
    return CompletionRequest(
        model=spec,
        messages=tuple(Message(role="input", content=t) for t in texts),
        params={},
        repeat=0,
        purpose=PURPOSE,
    )


def vectors_of(completion: Completion, n: int) -> list[list[float]]:
    """The vectors a completion carries; ValueError if they are not n float lists."""
    data = json.loads(completion.text)
    if (
        not isinstance(data, list)
        or len(data) != n
        or not all(
            isinstance(v, list)
            and v
            and all(isinstance(x, int | float) and not isinstance(x, bool) for x in v)
            for v in data
        )
    ):
        raise ValueError(f"expected {n} embedding vector(s)")
    return [[float(x) for x in v] for v in data]


class OpenAIEmbeddings(SDKProvider):
    default_key_env = DEFAULT_KEY_ENV

    def _make_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(
            api_key=self._key, base_url=self.spec.base_url, max_retries=0, timeout=self.timeout_s
        )

    async def complete(self, request: CompletionRequest) -> Completion:
        import openai

        client = self._get_client()
        texts = [m.content for m in request.messages]
        loop = asyncio.get_running_loop()
        start = loop.time()
        failure: ProviderError | None = None
        try:
            resp = await client.embeddings.create(
                model=self.spec.model, input=texts, encoding_format="float"
            )
        except Exception as e:
            failure = perr.from_sdk_error(e, openai, "openai", self.key_env)
        if failure is not None:
            raise failure
        ordered = sorted(resp.data, key=lambda d: d.index)
        usage = getattr(resp, "usage", None)
        return Completion(
            text=json.dumps([list(d.embedding) for d in ordered]),
            model_id=getattr(resp, "model", "") or self.spec.model,
            input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            latency_ms=(loop.time() - start) * 1000.0,
        )


class PythonEmbeddings:
    """``fn(texts) -> vectors``, run in the project's key-less python-target worker
    (``providers.target_pool``), never in llmeval's process."""

    def __init__(self, spec: ModelSpec, root: Path | None = None) -> None:
        from llmeval.providers.target_pool import pool_for

        if not spec.model:
            raise ConfigError(f"embedding model '{spec.alias}' needs 'target: file.py:function'")
        self.spec = spec
        self.pool = pool_for((root or Path.cwd()).resolve(), spec.pass_env)
        self.pool.acquire()
        self._release = weakref.finalize(self, self.pool.release)
        try:
            self.pool.load(spec.model, check=False)
        except BaseException:
            self._release()
            raise

    async def aclose(self) -> None:
        self._release()

    async def complete(self, request: CompletionRequest) -> Completion:
        texts = [m.content for m in request.messages]
        try:
            reply = await self.pool.call({"op": "embed", "target": self.spec.model, "texts": texts})
            text = json.dumps([[float(x) for x in v] for v in reply["value"]])
        except ProviderError:
            raise  # its worker died: that call's error
        except Exception as e:  # the user's function: its failure is this call's error
            raise ProviderError(f"embedding function failed: {type(e).__name__}: {e}") from None
        return Completion(text=text, model_id=self.spec.model, latency_ms=reply["latency_ms"])


def create(spec: ModelSpec, root: Path) -> Any:
    if spec.provider == "openai":
        return OpenAIEmbeddings(spec, root)
    if spec.provider == "python":
        return PythonEmbeddings(spec, root)
    raise ConfigError(
        f"model '{spec.alias}' (provider {spec.provider}) cannot embed: use an openai or "
        "OpenAI-compatible model, or a python function"
    )
