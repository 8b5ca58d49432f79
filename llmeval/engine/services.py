"""What async metrics may use: the judge model (through the same provider stack,
cache and accounting as generations) and the prompt library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.prompt import Message, PromptTemplate
from llmeval.domain.request import Completion, CompletionRequest
from llmeval.errors import ConfigError, LLMEvalError
from llmeval.providers.base import Provider


class EngineServices:
    """Run-wide: resolves judge models lazily and remembers why one is unavailable."""

    def __init__(
        self,
        *,
        default_judge: str | None,
        resolve: Callable[[str], ModelSpec],
        provider_for: Callable[[ModelSpec], Provider],
        load_prompt: Callable[[str], PromptTemplate],
        cost: Callable[[ModelSpec, Completion], float | None],
        embedder_for: Callable[[ModelSpec], Provider] | None = None,
    ) -> None:
        self._embedder_for = embedder_for
        self._embedders: dict[str, tuple[ModelSpec, Provider] | str] = {}
        self.default_judge = default_judge
        self._resolve = resolve
        self._provider_for = provider_for
        self._load_prompt = load_prompt
        self._cost = cost
        self._ready: dict[str, tuple[ModelSpec, Provider] | str] = {}

    def _get(self, model: str | None) -> tuple[ModelSpec, Provider] | str:
        name = model or self.default_judge
        if not name:
            return (
                "no judge model: set defaults.judge in llmeval.yaml or 'provider' on the assertion"
            )
        if name not in self._ready:
            try:
                spec = self._resolve(name)
                self._ready[name] = (spec, self._provider_for(spec))
            except LLMEvalError as e:
                msg = e.message if isinstance(e, ConfigError) else str(e)
                self._ready[name] = f"judge '{name}' unavailable: {msg}"
        return self._ready[name]

    def judge_available(self, model: str | None = None) -> str | None:
        got = self._get(model)
        return got if isinstance(got, str) else None

    def load_prompt(self, ref: str) -> PromptTemplate:
        return self._load_prompt(ref)

    def resolve_model(self, name: str) -> ModelSpec:
        """A model spec by alias or ``provider:model`` (e.g. for the moderation endpoint)."""
        return self._resolve(name)

    async def complete_judge(
        self, messages: tuple[Message, ...], model: str | None, repeat: int
    ) -> tuple[Completion, float | None]:
        got = self._get(model)
        if isinstance(got, str):
            raise ConfigError(got)
        spec, provider = got
        request = CompletionRequest(
            model=spec,
            messages=messages,
            params={"temperature": 0, **spec.params},
            repeat=repeat,
            purpose="judge",
        )
        completion = await provider.complete(request)
        return completion, self._cost(spec, completion)

    def _get_embedder(self, model: str | None) -> tuple[ModelSpec, Provider] | str:
        if not model:
            return "no embedding model: set 'provider' on the assertion"
        if self._embedder_for is None:
            return "embeddings are not available in this run"
        if model not in self._embedders:
            try:
                spec = self._resolve(model)
                self._embedders[model] = (spec, self._embedder_for(spec))
            except LLMEvalError as e:
                msg = e.message if isinstance(e, ConfigError) else str(e)
                self._embedders[model] = f"embedding model '{model}' unavailable: {msg}"
        return self._embedders[model]

    def embed_available(self, model: str | None) -> str | None:
        got = self._get_embedder(model)
        return got if isinstance(got, str) else None

    async def complete_embed(
        self, texts: list[str], model: str | None
    ) -> tuple[list[list[float]], Completion, float | None]:
        from llmeval.providers.embeddings import embed_request, vectors_of

        got = self._get_embedder(model)
        if isinstance(got, str):
            raise ConfigError(got)
        spec, provider = got
        completion = await provider.complete(embed_request(spec, texts))
        try:
            vectors = vectors_of(completion, len(texts))
        except ValueError as e:
            from llmeval.errors import ProviderError

            raise ProviderError(f"embedding reply unusable: {e}") from None
        return vectors, completion, self._cost(spec, completion)

    def for_item(self) -> ItemServices:
        return ItemServices(self)


class ItemServices:
    """Per result: forwards to the run's services and adds up what judging cost."""

    def __init__(self, run: EngineServices) -> None:
        self._run = run
        self.cost_usd: float | None = None
        self.tokens: dict[str, int] | None = None
        self.all_cached = True
        self.spent_usd = 0.0  # judge cost not served from the cache

    def judge_available(self, model: str | None = None) -> str | None:
        return self._run.judge_available(model)

    def load_prompt(self, ref: str) -> PromptTemplate:
        return self._run.load_prompt(ref)

    async def judge(
        self, messages: tuple[Message, ...], *, model: str | None = None, repeat: int = 0
    ) -> Completion:
        completion, cost = await self._run.complete_judge(messages, model, repeat)
        self.tokens = self.tokens or {"input": 0, "output": 0}
        self.tokens["input"] += completion.input_tokens
        self.tokens["output"] += completion.output_tokens
        if cost is not None:
            self.cost_usd = (self.cost_usd or 0.0) + cost
            if not completion.cached:
                self.spent_usd += cost
        self.all_cached = self.all_cached and completion.cached
        return completion

    def embed_available(self, model: str | None) -> str | None:
        return self._run.embed_available(model)

    async def embed(self, texts: list[str], *, model: str | None) -> list[list[float]]:
        """Vectors for ``texts`` (cached, retried, costed like judge calls)."""
        vectors, completion, cost = await self._run.complete_embed(texts, model)
        self.tokens = self.tokens or {"input": 0, "output": 0}
        self.tokens["input"] += completion.input_tokens
        if cost is not None:
            self.cost_usd = (self.cost_usd or 0.0) + cost
            if not completion.cached:
                self.spent_usd += cost
        self.all_cached = self.all_cached and completion.cached
        return vectors

    def __getattr__(self, name: str) -> Any:
        return getattr(self._run, name)
