from __future__ import annotations

import pytest

from llmeval.domain.model import ModelSpec, Price
from llmeval.providers.pricing import PRICES_TAKEN, cost, price_for, table_price


@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("gpt-4o", (2.50, 10.00)),
        ("gpt-4o-2024-08-06", (2.50, 10.00)),  # dated snapshot
        ("gpt-4o-mini", (0.15, 0.60)),  # longest prefix, not gpt-4o
        ("gpt-4o-mini-2024-07-18", (0.15, 0.60)),
        ("gpt-4.1-nano-2025-04-14", (0.10, 0.40)),
        ("gpt-5-mini-2025-08-07", (0.25, 2.00)),
        ("gpt-5.4-pro", (30.00, 180.00)),
        ("o3-2025-04-16", (2.00, 8.00)),
        ("o4-mini", (1.10, 4.40)),
        ("gpt-3.5-turbo-0125", (0.50, 1.50)),
        ("openai/gpt-4.1", (2.00, 8.00)),
        ("claude-haiku-4-5-20251001", (1.00, 5.00)),
        ("claude-sonnet-4-5-20250929", (3.00, 15.00)),
        ("claude-sonnet-4-20250514", (3.00, 15.00)),
        ("claude-opus-4-1", (15.00, 75.00)),  # not claude-opus-4's family tail
        ("claude-opus-4-7", (5.00, 25.00)),
        ("claude-3-5-haiku-20241022", (0.80, 4.00)),
        ("claude-3-5-haiku-latest", (0.80, 4.00)),
        ("CLAUDE-HAIKU-4-5", (1.00, 5.00)),
    ],
)
def test_table_matches_snapshots(model_id: str, expected: tuple[float, float]) -> None:
    assert table_price(model_id) == Price(*expected)


@pytest.mark.parametrize(
    "model_id",
    ["llama3.1:8b", "claude-opus-4-8", "gpt-4o-audio-preview", "gpt-5-chat", "", "gpt"],
)
def test_unknown_or_different_models_get_no_price(model_id: str) -> None:
    # a longer id that is a different model must not inherit its prefix's price
    assert table_price(model_id) is None


def test_spec_price_overrides_table() -> None:
    s = ModelSpec("m", "openai", "gpt-4o", price=Price(1.0, 1.0))
    assert price_for(s, "gpt-4o-2024-08-06") == Price(1.0, 1.0)
    assert cost(s, "gpt-4o", 500_000, 500_000) == pytest.approx(1.0)


def test_falls_back_from_reported_id_to_configured_model() -> None:
    s = ModelSpec("m", "openai", "gpt-4o-mini")
    assert price_for(s, "some-router-internal-name") == Price(0.15, 0.60)
    assert cost(s, None, 1_000_000, 0) == pytest.approx(0.15)
    assert cost(ModelSpec("x", "openai", "mystery"), "mystery", 10, 10) is None


def test_prices_are_dated() -> None:
    assert PRICES_TAKEN[:4].isdigit()
