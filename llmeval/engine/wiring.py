"""Builds one provider stack per model: base provider wrapped in cache, retries, limits."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.project import Project
from llmeval.providers import registry
from llmeval.providers.base import Provider, aclose


class ProviderFactory:
    def __init__(
        self,
        project: Project,
        *,
        cache_mode: str = "use",
        concurrency: int | None = None,
        batch: bool = False,
        run_dir: Path | None = None,
    ) -> None:
        self.project = project
        # --batch: every model with a batch API goes through it (``batch: true`` per
        # model does so anyway); batch state lives in the run folder
        self.batch = batch
        self.run_dir = run_dir
        self.settings = project.settings
        self.cache_mode = cache_mode
        # the run-wide bound each model's stack adapts under (a spec's own wins)
        self.concurrency = concurrency or self.settings.concurrency
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
        if self.run_dir is not None and self.cache_mode != "replay":
            from llmeval.providers.batching import uses_batch

            if uses_batch(spec, self.batch):
                base = registry.create_batching(spec, self.project.root, self.run_dir)
                batching = getattr(base, "inner", None)  # the Batching inside Redacting
                stack = self._stacks[spec.alias] = self._wrap(base, spec, batching)
                return stack
        base = registry.create(spec, self.project.root)
        stack = self._stacks[spec.alias] = self._wrap(base, spec)
        return stack

    def get_embedder(self, spec: ModelSpec) -> Provider:
        """The embedding stack of ``spec``: same cache, retries and limits as ``get``."""
        key = f"{spec.alias}#embed"
        hit = self._stacks.get(key)
        if hit is not None:
            return hit
        from llmeval.providers import embeddings

        stack = self._stacks[key] = self._wrap(embeddings.create(spec, self.project.root), spec)
        return stack

    def _wrap(self, base: Provider, spec: ModelSpec, batching: Any = None) -> Provider:
        self._bases.append(base)
        if spec.is_local:
            return base  # local code: nothing to cache, retry or rate-limit
        from llmeval.providers.stack import build_stack

        return build_stack(
            base,
            spec,
            cache=self._response_cache(),
            cache_mode=self.cache_mode,
            retries=self.settings.retries,
            timeout_s=spec.timeout_s or self.settings.timeout_s,
            deadline_s=self.settings.deadline_s,
            endpoint=spec.base_url or spec.provider,
            concurrency=self.concurrency,
            batching=batching,
        )

    def estimator(self) -> Callable[[Any], float]:
        """Upper-bound cost of one work item, generation and judge calls, for --max-cost."""
        coster = self._coster()
        return lambda item: coster.estimate(item).total_usd

    def comparison_estimator(self) -> Callable[[Any], float]:
        """The part of ``estimator`` that the comparison pass spends after the run
        (``Coster.comparison_cost``): --max-cost holds it back until then."""
        coster = self._coster()
        return coster.comparison_cost

    def _coster(self) -> Any:
        from llmeval.config.settings import resolve_model
        from llmeval.engine.costing import Coster

        return Coster(
            cache=self._response_cache() if self.cache_mode == "use" else None,
            resolve=lambda name: resolve_model(self.settings, name),
            default_judge=self.settings.judge,
            batch=self.batch,
        )

    def warm(self) -> None:
        """Ready every provider before the first call (SDK imports, clients), except
        those whose stack can ready them before its first real send (a fully cached run
        never imports an SDK). Those are readied together, by whichever sends first:
        the imports block the loop, and at that moment no other request is in flight
        whose timeout or latency they would eat into."""
        if self._cache is not None:  # a model's stack caches: open it now, so a damaged
            self._cache.db  # noqa: B018 -- cache is one error before any call
        later = [s for s in self._stacks.values() if getattr(s, "defers_warm", False)]
        skip = {id(getattr(s, "base", None)) for s in later}
        for base in self._bases:
            if id(base) in skip:
                continue
            warm = getattr(base, "warm", None)
            if callable(warm):
                warm()
        if later:
            from llmeval.providers.stack import warm_together

            warm_together(later)

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


def runner_pool(providers: Iterable[object], concurrency: int, planned: int | None = None) -> int:
    """Cases the runner keeps in progress: see ``providers.stack.runner_pool``."""
    from llmeval.providers.stack import runner_pool as pool

    return pool(providers, concurrency, planned)
