"""``similar`` (``:cosine``, ``:dot``, ``:euclidean``): embedding similarity, as promptfoo.

The output and the value (or each of a list of values) are embedded by the model named
in ``provider`` (promptfoo's ``openai:embedding:<model>`` spelling is accepted) through
the engine's ``embed`` service, so calls are cached, retried, rate-limited and costed.
Scores, as promptfoo's ``matchesSimilarity``: cosine and dot product as they are;
euclidean distance d becomes ``1 / (1 + d)``. Pass is ``score >= threshold``
(default 0.75). With a list, the best value counts (pass if any passes) and
``not-similar`` passes only if the output is far from every value; since ``not-`` is
applied centrally as ``1 - score``, the best score is what inversion sees.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from llmeval.domain.record import UNAVAILABLE, Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError, ProviderError
from llmeval.metrics.base import BuildContext, ScoreContext, Services
from llmeval.metrics.registry import register

KINDS = {"": "cosine", "cosine": "cosine", "dot": "dot", "euclidean": "euclidean"}


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(x * x for x in b))
    if na == 0 or nb == 0:
        return 0.0
    return sum(x * y for x, y in zip(a, b, strict=True)) / (na * nb)


def similarity(kind: str, a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) != len(b):
        raise ValueError(f"embedding sizes differ ({len(a)} vs {len(b)})")
    if kind == "cosine":
        return cosine(a, b)
    if kind == "dot":
        return sum(x * y for x, y in zip(a, b, strict=True))
    return 1.0 / (1.0 + math.dist(a, b))


def embedder_option(spec: AssertionSpec, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{spec.type}: 'provider' must name an embedding model")
    for prefix in ("openai:embedding:", "openai:embeddings:"):
        if value.startswith(prefix):  # promptfoo's spelling
            return "openai:" + value[len(prefix) :]
    return value


async def embed_all(
    services: Services, model: str | None, texts: list[str], repeat: int = 0
) -> list[list[float]]:
    """Vectors, or raise the Unscored that says why not (skip without a model)."""
    from llmeval.judge import judge as j

    reason = services.embed_available(model)
    if reason is not None:
        raise j.Unscored(Score(passed=None, skipped=True, reason=reason, kind=UNAVAILABLE))
    try:
        return await services.embed(texts, model=model)
    except ProviderError as e:
        raise j.Unscored(
            Score(
                passed=None,
                error=f"embedding call failed ({e.kind}): {e.message}",
                kind=e.kind,
            )
        ) from None


def _factory(kind: str) -> Any:
    def factory(spec: AssertionSpec, build: BuildContext) -> Any:
        from llmeval.judge import judge as j

        unknown = sorted(set(spec.options) - {"provider", "embedder"})
        if unknown:
            raise ConfigError(f"unknown option(s) {unknown} for '{spec.type}' (known: provider)")
        model = embedder_option(spec, spec.options.get("provider", spec.options.get("embedder")))
        v = spec.value
        values = [v] if isinstance(v, str) else v
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(x, str) for x in values)
        ):
            raise ConfigError(f"{spec.type}: 'value' must be a string or a non-empty list of them")

        async def run(ctx: ScoreContext, services: Services) -> Score:
            refs = [j.render_author(f"{spec.type} value", x, ctx) for x in values]
            vectors = await embed_all(services, model, [ctx.output, *refs], ctx.repeat)
            scores = [similarity(kind, vectors[0], v) for v in vectors[1:]]
            best = max(scores)
            return Score(
                passed=None,
                score=max(0.0, min(1.0, best)),
                reason=f"{kind} similarity {best:.2f}",
                details={"similarities": [round(s, 6) for s in scores]},
            )

        return j.guarded(run)

    return factory


for _suffix, _kind in KINDS.items():
    register(
        "similar" + (f":{_suffix}" if _suffix else ""),
        kind="async",
        threshold="min",
        default_threshold=0.75,
        requires_value=True,
        description=f"Embedding {_kind} similarity to the value(s) >= threshold (0.75); "
        "'provider' names the embedding model.",
    )(_factory(_kind))
