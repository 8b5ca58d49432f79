"""OpenAI's moderation endpoint, through the openai SDK (imported lazily).

Which server and key: the model spec named by the assertion's ``provider`` option
(its ``base_url`` and ``api_key_env``), else the openai defaults (OPENAI_API_KEY,
and OPENAI_BASE_URL if set, as the SDK reads it). No key: the check is skipped
with a one-line reason, never failed. PII is masked before the text leaves.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from llmeval.domain.model import ModelSpec

DEFAULT_MODEL = "omni-moderation-latest"
DEFAULT_KEY_ENV = "OPENAI_API_KEY"


@dataclass(frozen=True, slots=True)
class Endpoint:
    key: str
    base_url: str | None


class Unavailable(Exception):
    """Moderation cannot be called; the message is the skip reason."""


def endpoint_for(spec: ModelSpec | None) -> Endpoint:
    """Key and base URL for the moderation call; Unavailable with a reason if none."""
    from llmeval.errors import ConfigError
    from llmeval.providers.secrets import resolve_key

    if spec is not None and spec.provider != "openai":
        raise Unavailable(
            f"moderation needs an OpenAI-compatible model; '{spec.alias}' is {spec.provider}"
        )
    alias = spec.alias if spec else "openai"
    key_env = (spec.api_key_env if spec else None) or DEFAULT_KEY_ENV
    base_url = spec.base_url if spec else os.environ.get("OPENAI_BASE_URL") or None
    try:
        key = resolve_key(alias, key_env, base_url)
    except ConfigError:
        raise Unavailable(f"moderation skipped: {key_env} is not set") from None
    return Endpoint(key, base_url)


@dataclass(frozen=True, slots=True)
class Verdict:
    flagged: bool
    categories: dict[str, bool]
    scores: dict[str, float]

    def considered(self, only: Sequence[str] | None, limit: float | None) -> dict[str, float]:
        """Categories that count against the text: flagged ones, or scores at the limit."""
        names = list(only) if only else sorted(set(self.categories) | set(self.scores))
        out = {}
        for name in names:
            score = self.scores.get(name, 0.0)
            hit = score >= limit if limit is not None else self.categories.get(name, False)
            if hit:
                out[name] = score
        return out


def _as_dict(obj: Any) -> dict[str, Any]:
    if obj is None:
        return {}
    if hasattr(obj, "model_dump"):
        obj = obj.model_dump(by_alias=True)
    return {k: v for k, v in dict(obj).items() if v is not None}


async def moderate(text: str, endpoint: Endpoint, model: str = DEFAULT_MODEL) -> Verdict:
    """One moderation call; raises the SDK's errors."""
    import openai

    client = openai.AsyncOpenAI(
        api_key=endpoint.key, base_url=endpoint.base_url, max_retries=2, timeout=30.0
    )
    try:
        resp = await client.moderations.create(model=model, input=text)
    finally:
        await client.close()
    result = resp.results[0]
    categories = {k: bool(v) for k, v in _as_dict(result.categories).items()}
    scores = {k: float(v) for k, v in _as_dict(result.category_scores).items()}
    return Verdict(bool(result.flagged), categories, scores)
