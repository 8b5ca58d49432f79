"""Builds one provider stack per model: base provider wrapped in cache, retries, limits."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.project import Project
from llmeval.providers import registry
from llmeval.providers.base import Provider, aclose

OFFLINE = ("echo", "python")


class ProviderFactory:
    def __init__(self, project: Project, *, cache_mode: str = "use") -> None:
        self.project = project
        self.settings = project.settings
        self.cache_mode = cache_mode
        self._stacks: dict[str, Provider] = {}
        self._bases: list[Provider] = []
        self._cache: Any = None

    def _response_cache(self) -> Any:
        if self._cache is None and self.cache_mode != "off":
            from llmeval.providers.cache import ResponseCache

            path = Path(self.settings.cache_dir)
            if not path.is_absolute():
                path = self.project.root / path
            self._cache = ResponseCache(path, self.settings.cache_ttl_s)
        return self._cache

    def get(self, spec: ModelSpec) -> Provider:
        hit = self._stacks.get(spec.alias)
        if hit is not None:
            return hit
        base = registry.create(spec, self.project.root)
        self._bases.append(base)
        if spec.provider in OFFLINE:
            # local code: nothing to cache, retry or rate-limit
            stack: Provider = base
        else:
            from llmeval.providers.stack import build_stack

            stack = build_stack(
                base,
                spec,
                cache=self._response_cache(),
                cache_mode=self.cache_mode,
                retries=self.settings.retries,
                timeout_s=spec.timeout_s or self.settings.timeout_s,
                deadline_s=self.settings.deadline_s,
                endpoint=spec.base_url or spec.provider,
            )
        self._stacks[spec.alias] = stack
        return stack

    def estimator(self) -> Callable[[Any], float]:
        """Upper-bound cost of one work item, for --max-cost."""
        from llmeval.providers.pricing import price_for
        from llmeval.providers.tokens import estimate_output_tokens, estimate_tokens

        cache = self._response_cache() if self.cache_mode == "use" else None

        def estimate(item: Any) -> float:
            if item.model.provider in OFFLINE:
                return 0.0
            price = price_for(item.model, item.model.model)
            if price is None:
                return 0.0
            if cache is not None:
                from llmeval.domain.request import CompletionRequest
                from llmeval.providers.cache import cache_key

                req = CompletionRequest(item.model, item.messages, item.params, item.repeat)
                if cache.contains(cache_key(req, item.model.base_url or item.model.provider)):
                    return 0.0  # a cached answer costs nothing
            tin = estimate_tokens(item.model, item.messages)
            tout = estimate_output_tokens(item.model)
            return price.cost(tin, tout)

        return estimate

    def stats(self) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": self.cache_mode}
        for alias, stack in self._stacks.items():
            counters = getattr(stack, "counters", None)
            if callable(counters):
                out[alias] = counters()
        return out

    async def aclose(self) -> None:
        for base in self._bases:
            await aclose(base)
        if self._cache is not None:
            close = getattr(self._cache, "close", None)
            if close:
                close()
