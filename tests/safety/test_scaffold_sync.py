"""`llmeval init --with security` ships copies of the bundled security apps and suite
inputs; they must not drift from the ones the repository's own suite runs."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACK = REPO / "llmeval" / "scaffold" / "security"


@pytest.mark.parametrize("rel", ["apps/security/hardened.py", "apps/security/naive.py"])
def test_pack_apps_match_the_bundled_ones(rel: str):
    assert (PACK / rel).read_text() == (REPO / rel).read_text()
