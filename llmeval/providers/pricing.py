"""Built-in price table, US dollars per million tokens (standard tier, no batch,
no prompt-cache discounts, short-context rates).

Prices taken 2026-06 from the providers' public pricing pages (as quoted by
secondary sources; OpenAI gpt-5.4/5.5 family as of 2026-06-04, Anthropic 4.x
family as of 2026-04). Verify before budgeting; override any model in
``llmeval.yaml`` with ``price: {input_per_mtok, output_per_mtok}``.

Matching: the longest table entry that is the model id itself or the model id
minus a snapshot suffix (``-2024-07-18``, ``-20250929``, ``-latest``, ``@20250514``).
So dated snapshots match their family, but ``gpt-5.4-pro`` does *not* silently
get the ``gpt-5.4`` price, and an unknown model gets no price (cost unknown)
rather than a guess.
"""

from __future__ import annotations

import functools
import re

from llmeval.domain.model import ModelSpec, Price

PRICES_TAKEN = "2026-06"

# OpenAI's Batch API and Anthropic's Message Batches API both bill 50% of the list
# price (input and output), on the table's and on a configured ``price:`` alike.
BATCH_FACTOR = 0.5

_TABLE: dict[str, tuple[float, float]] = {
    # OpenAI
    "gpt-5.5": (5.00, 30.00),
    "gpt-5.5-pro": (30.00, 180.00),
    "gpt-5.4": (2.50, 15.00),
    "gpt-5.4-pro": (30.00, 180.00),
    "gpt-5.4-mini": (0.75, 4.50),
    "gpt-5.4-nano": (0.20, 1.25),
    "gpt-5.2": (1.75, 14.00),
    "gpt-5.1": (1.25, 10.00),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "o3": (2.00, 8.00),
    "o3-mini": (1.10, 4.40),
    "o4-mini": (1.10, 4.40),
    "o1": (15.00, 60.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    # Anthropic
    "claude-opus-4-7": (5.00, 25.00),
    "claude-opus-4-6": (5.00, 25.00),
    "claude-opus-4-5": (5.00, 25.00),
    "claude-opus-4-1": (15.00, 75.00),
    "claude-opus-4-0": (15.00, 75.00),
    "claude-opus-4": (15.00, 75.00),
    "claude-sonnet-4-6": (3.00, 15.00),
    "claude-sonnet-4-5": (3.00, 15.00),
    "claude-sonnet-4-0": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-haiku": (0.25, 1.25),
    "claude-3-opus": (15.00, 75.00),
}

# what may follow a table entry: a dated snapshot or a moving alias, nothing else
_SNAPSHOT = re.compile(r"(?:[-@]\d{4}-?\d{2}-?\d{2}|-\d{4})?(?:-latest)?(?:-v\d+(?::\d+)?)?")


@functools.lru_cache(maxsize=256)  # pure, and asked again for every result of a model
def table_price(model_id: str) -> Price | None:
    """The built-in price for ``model_id`` (a bare id, snapshot, or ``provider/id``)."""
    if not model_id:
        return None
    mid = model_id.strip().lower().rsplit("/", 1)[-1].removeprefix("anthropic.")
    best: str | None = None
    for name in _TABLE:
        fits = mid.startswith(name) and _SNAPSHOT.fullmatch(mid[len(name) :])
        if fits and (best is None or len(name) > len(best)):
            best = name
    if best is None:
        return None
    return Price(*_TABLE[best])


def price_for(spec: ModelSpec, model_id: str | None = None) -> Price | None:
    """``spec.price`` if configured, else the table price of the id the server
    reported, else of the configured model id; None when unknown."""
    if spec.price is not None:
        return spec.price
    for candidate in (model_id, spec.model):
        if candidate:
            price = table_price(candidate)
            if price is not None:
                return price
    return None


def batch_price(price: Price) -> Price:
    """The price of the same tokens sent through a provider's batch API."""
    return Price(price.input_per_mtok * BATCH_FACTOR, price.output_per_mtok * BATCH_FACTOR)


def cost(
    spec: ModelSpec,
    model_id: str | None,
    input_tokens: int,
    output_tokens: int,
    *,
    batch: bool = False,
) -> float | None:
    """USD for one call (at the batch price with ``batch``), or None when unknown."""
    price = price_for(spec, model_id)
    if price is None:
        return None
    return (batch_price(price) if batch else price).cost(input_tokens, output_tokens)
