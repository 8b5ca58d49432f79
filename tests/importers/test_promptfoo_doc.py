"""docs/promptfoo.md states the coverage count that the table holds."""

from __future__ import annotations

import re
from pathlib import Path

from llmeval.metrics.promptfoo_names import PROMPTFOO

DOC = Path(__file__).resolve().parents[2] / "docs" / "promptfoo.md"


def test_the_count_sentence_matches_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    m = re.search(r"(\d+) of (\d+) are supported", text)
    assert m is not None
    supported = sum(1 for e in PROMPTFOO.values() if e.status != "unsupported")
    assert (int(m.group(1)), int(m.group(2))) == (supported, len(PROMPTFOO))
    rows = [ln for ln in text.splitlines() if ln.startswith("| `") and "|" in ln[3:]]
    assert sum(1 for r in rows if r.split("|")[1].strip().strip("`") in PROMPTFOO) == len(PROMPTFOO)
