"""The promptfoo table: docs/promptfoo.md, the registry and "did you mean" agree with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmeval.errors import ConfigError
from llmeval.metrics import registry
from llmeval.metrics.promptfoo_names import PROMPTFOO

DOC = Path(__file__).resolve().parents[2] / "docs" / "promptfoo.md"


def test_every_supported_promptfoo_type_is_registered() -> None:
    names = set(registry.names())
    for name, entry in PROMPTFOO.items():
        if entry.pending:
            continue
        if entry.status == "unsupported":
            assert name not in names, f"{name} is registered: update the table"
        else:
            assert entry.llmeval in names, f"{name}: {entry.llmeval} is not registered"


def test_at_least_50_supported() -> None:
    supported = [n for n, e in PROMPTFOO.items() if e.status != "unsupported"]
    assert len(supported) >= 50


def test_doc_lists_every_type_with_its_status() -> None:
    text = DOC.read_text(encoding="utf-8")
    for name, entry in PROMPTFOO.items():
        row = next((ln for ln in text.splitlines() if ln.startswith(f"| `{name}` |")), None)
        assert row is not None, f"{name} missing from docs/promptfoo.md"
        label = {
            "same": "same",
            "differs": "documented difference",
            "renamed": "renamed",
            "unsupported": "not supported",
        }[entry.status]
        assert label in row, row


@pytest.mark.parametrize(
    ("typo", "hint"),
    [
        ("model-graded-factuality", "llmeval's 'factuality'"),
        ("is-refusal", "llmeval's 'refusal'"),
        ("perplexity", "not supported by llmeval: token log-probabilities"),
        ("meteor", "not supported"),
        ("contians", "did you mean 'contains'"),
        ("context-recal", "did you mean 'context-recall'"),
    ],
)
def test_unknown_types_get_a_sensible_hint(typo: str, hint: str) -> None:
    with pytest.raises(ConfigError) as e:
        registry.get(typo)
    assert hint in e.value.message


def test_context_recall_is_known_now() -> None:
    assert registry.get("context-recall").judge
