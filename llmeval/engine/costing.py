"""What one work item is expected to cost: its generation and its judge calls.

The one per-item estimate behind both ``--dry-run`` and the ``--max-cost`` reservation
(token counts come from ``providers.tokens``, prices from ``providers.pricing``). A
cached generation costs nothing; judge calls are estimated as upper bounds (the
judge's max output tokens), so a reservation is never smaller than what is spent.
The comparison pass's judge calls (``select-best``, decided once per case after the
run, ``engine.postpass``) are estimated per item too, as the item's share: the sum of a
case's shares (each output graded with its own framing) bounds the one call that sees
them all, so ``--max-cost`` can hold that share back while the run goes on.
A model sent through its provider's batch API (``--batch`` or ``batch: true``, the
rule is ``providers.batching.uses_batch``) is estimated at the batch price. A tool loop
or conversation is priced for every call it may make (``Agenda.max_calls``) less the
leading calls a run would replay from the cache, known from the history an earlier run
recorded (``recorded``, see ``engine.recorded``); a fully replayed one costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from llmeval.domain.model import ModelSpec
from llmeval.domain.request import CompletionRequest
from llmeval.engine.plan import Key, WorkItem
from llmeval.engine.recorded import Recorded

# the judge template's own words around the graded output (rubric, instructions, JSON)
_JUDGE_FRAMING_TOKENS = 400


@dataclass(frozen=True, slots=True)
class ItemEstimate:
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = 0.0  # None: a remote model with no known price
    cached: bool = False
    judge_cost_usd: float = 0.0
    batch: bool = False  # the generation is priced as a batch request

    @property
    def total_usd(self) -> float:
        return (self.cost_usd or 0.0) + self.judge_cost_usd


def judge_calls(
    item: WorkItem, default_judge: str | None, compared: bool | None = None
) -> list[tuple[str, int]]:
    """(judge model name, calls) per judge assertion of the item; ``compared`` True:
    only the comparison pass's, False: only the item's own, None: all."""
    from llmeval.judge.compare import COMPARED

    out = []
    for a in item.assertions:
        if not a.defn.judge:
            continue
        if compared is not None and (a.spec.type.removeprefix("not-") in COMPARED) != compared:
            continue
        opts = a.spec.options
        name = opts.get("model") or opts.get("provider") or default_judge
        if name:
            out.append((str(name), 2 if a.spec.type == "pairwise" else 1))  # both orders
    return out


class Coster:
    """Estimates items; ``cache`` (optional) answers whether a generation is cached."""

    def __init__(
        self,
        *,
        cache: Any = None,
        resolve: Callable[[str], ModelSpec] | None = None,
        default_judge: str | None = None,
        batch: bool = False,  # the run's --batch flag
        recorded: Mapping[Key, Recorded] | None = None,  # histories of earlier runs
    ) -> None:
        self.batch = batch
        self.recorded = recorded or {}
        self.cache = cache
        self.resolve = resolve
        self.default_judge = default_judge
        self._judges: dict[str, ModelSpec | None] = {}

    def _judge(self, name: str) -> ModelSpec | None:
        if name not in self._judges:
            try:
                self._judges[name] = self.resolve(name) if self.resolve else None
            except Exception:  # an unavailable judge is skipped at run time: costs nothing
                self._judges[name] = None
        return self._judges[name]

    def is_cached(self, item: WorkItem) -> bool:
        return self._in_cache(item, item.request())

    def _in_cache(self, item: WorkItem, request: CompletionRequest) -> bool:
        if self.cache is None or item.model.is_local:
            return False
        from llmeval.providers.cache import cache_key

        endpoint = item.model.base_url or item.model.provider
        return bool(self.cache.contains(cache_key(request, endpoint)))

    def replayed_calls(self, item: WorkItem) -> tuple[int, bool]:
        """How many of a multi-step item's leading calls a run would answer from the
        cache, and whether that is all of them (the recorded loop ran to its end)."""
        found = self.recorded.get(item.key)
        if found is None or self.cache is None:
            return 0, False
        from llmeval.engine.loop import recorded_requests

        requests = recorded_requests(item, found.history)
        free = 0
        for request in requests:
            if not self._in_cache(item, request):
                break  # after a miss the answers, and so the later requests, may differ
            free += 1
        return free, found.complete and bool(requests) and free == len(requests)

    def estimate(self, item: WorkItem) -> ItemEstimate:
        from llmeval.providers.tokens import estimate_output_tokens, estimate_tokens

        spec = item.model
        judge_cost = self._judge_cost(item)
        if spec.is_local:
            return ItemEstimate(cost_usd=None, judge_cost_usd=judge_cost)
        # a tool loop or conversation makes up to max_calls calls; only its first request
        # is known before the run, the later ones only from an earlier run's history
        calls = item.agenda.max_calls if item.agenda is not None else 1
        if calls == 1 and self.is_cached(item):
            return ItemEstimate(cached=True, judge_cost_usd=judge_cost)
        if calls > 1:
            free, replayed = self.replayed_calls(item)
            if replayed:
                return ItemEstimate(cached=True, judge_cost_usd=judge_cost)
            calls = max(1, calls - free)
        tin = estimate_tokens(spec, item.messages) * calls
        tout = estimate_output_tokens(spec, item.params) * calls
        price = self._price(spec)
        cost = price.cost(tin, tout) if price is not None else None
        return ItemEstimate(tin, tout, cost, False, judge_cost, self.batched(spec))

    def batched(self, spec: ModelSpec) -> bool:
        from llmeval.providers.batching import uses_batch

        return uses_batch(spec, self.batch)

    def _price(self, spec: ModelSpec) -> Any:
        """The list price, or the batch price when ``spec`` is sent in batches."""
        from llmeval.providers.pricing import batch_price, price_for

        price = price_for(spec, spec.model)
        if price is not None and self.batched(spec):
            return batch_price(price)
        return price

    def comparison_cost(self, item: WorkItem) -> float:
        """The item's share of its case's comparison-pass judge call (0 without one)."""
        return self._judge_cost(item, compared=True)

    def _judge_cost(self, item: WorkItem, compared: bool | None = None) -> float:
        from llmeval.providers.tokens import estimate_output_tokens, estimate_tokens

        total = 0.0
        for name, calls in judge_calls(item, self.default_judge, compared):
            judge = self._judge(name)
            if judge is None or judge.is_local:
                continue
            price = self._price(judge)
            if price is None:
                continue
            graded = estimate_output_tokens(item.model, item.params)
            tin = estimate_tokens(judge, item.messages) + graded + _JUDGE_FRAMING_TOKENS
            total += calls * price.cost(tin, estimate_output_tokens(judge))
        return total
