"""Reference-overlap metrics: promptfoo's ``rouge-n``, ROUGE-1/2/L (rouge-score),
BLEU and chrF (sacrebleu, sentence level, TER as a detail). Scores are in [0, 1].

The reference is the assertion's ``value`` (a string or a list of references),
else the case's ``expected``. With several references the best score counts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from llmeval.domain.record import Score
from llmeval.domain.suite import AssertionSpec
from llmeval.errors import ConfigError
from llmeval.metrics.base import BuildContext, ScoreContext
from llmeval.metrics.registry import register
from llmeval.metrics.values import (
    MissingReference,
    check_options,
    optional_references,
    references,
)

Fn = Callable[[ScoreContext], Score]

_SACRE_TOKENIZERS = {"none", "13a", "intl", "char", "zh", "ja-mecab", "ko-mecab", "spm"}


def _bool_opt(opts: dict[str, Any], key: str, default: bool) -> bool:
    v = opts.get(key, default)
    if not isinstance(v, bool):
        raise ConfigError(f"option '{key}' must be true or false")
    return v


def _int_opt(opts: dict[str, Any], key: str, default: int, lo: int, hi: int) -> int:
    v = opts.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ConfigError(f"option '{key}' must be an integer from {lo} to {hi}")
    return v


def _limit_text(spec: AssertionSpec, default: float) -> str:
    return f"{spec.threshold if spec.threshold is not None else default:g}"


def _scored(
    spec: AssertionSpec,
    label: str,
    default: float,
    compute: Callable[[str, tuple[str, ...]], tuple[float, dict[str, Any]]],
) -> Fn:
    refs = optional_references(spec.type, spec.value)
    limit = _limit_text(spec, default)

    def fn(ctx: ScoreContext) -> Score:
        try:
            candidates = references(refs, ctx)
            value, details = compute(ctx.output, candidates)
            value = min(1.0, max(0.0, value))  # sacrebleu can return 100.00000000000004
        except MissingReference as e:
            return Score(passed=None, error=str(e))
        except ValueError as e:
            return Score(passed=None, error=f"{label}: {e}")
        return Score(
            passed=None,
            score=value,
            reason=f"{label} score {_shown(value, limit)} (threshold {limit})",
            details=details,
        )

    return fn


def _shown(value: float, limit: str) -> str:
    """Two decimals as promptfoo prints, more when that would look equal to the threshold."""
    text = f"{value:.2f}"
    try:
        same = float(text) == float(limit) and value != float(limit)
    except ValueError:
        same = False
    return f"{value:.4f}" if same else text


# --- promptfoo's rouge-n ------------------------------------------------------------------


@register(
    "rouge-n",
    threshold="min",
    default_threshold=0.75,
    description="promptfoo's ROUGE-N (js-rouge 3.2: n-gram F1 vs the reference), "
    "default threshold 0.75",
)
def _rouge_n(spec: AssertionSpec, build: BuildContext) -> Fn:
    opts = check_options(spec, "n")
    n = _int_opt(opts, "n", 1, 1, 9)

    def compute(output: str, refs: tuple[str, ...]) -> tuple[float, dict[str, Any]]:
        from llmeval.metrics.treebank import rouge_n

        return max(rouge_n(output, r, n) for r in refs), {"n": n}

    return _scored(spec, "ROUGE-N", 0.75, compute)


# --- rouge-score ----------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _rouge_scorer(kind: str, stem: bool) -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer([kind], use_stemmer=stem)


def rouge_f(kind: str, output: str, refs: Sequence[str], stem: bool = False) -> dict[str, float]:
    """Best F-measure (with its precision and recall) over ``refs``; kind: rouge1/rouge2/rougeL."""
    scorer = _rouge_scorer(kind, stem)
    best = max((scorer.score(r, output)[kind] for r in refs), key=lambda s: s.fmeasure)
    return {"precision": best.precision, "recall": best.recall, "f": best.fmeasure}


def _rouge_score_metric(name: str, kind: str) -> None:
    @register(
        name,
        threshold="min",
        default_threshold=0.75,
        description=f"ROUGE F-measure ({kind}, rouge-score) vs the reference",
        warm=lambda: _rouge_scorer(kind, False),
    )
    def factory(spec: AssertionSpec, build: BuildContext) -> Fn:
        stem = _bool_opt(check_options(spec, "stem"), "stem", False)

        def compute(output: str, refs: tuple[str, ...]) -> tuple[float, dict[str, Any]]:
            r = rouge_f(kind, output, refs, stem)
            return r["f"], {"precision": r["precision"], "recall": r["recall"]}

        return _scored(spec, name.upper(), 0.75, compute)


_rouge_score_metric("rouge-1", "rouge1")
_rouge_score_metric("rouge-2", "rouge2")
_rouge_score_metric("rouge-l", "rougeL")


# --- sacrebleu ------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _bleu(tokenize: str, lowercase: bool, smooth: str) -> Any:
    from sacrebleu.metrics import BLEU

    # exactly what sacrebleu.sentence_bleu builds, made once instead of per call
    return BLEU(lowercase=lowercase, tokenize=tokenize, smooth_method=smooth, effective_order=True)


@lru_cache(maxsize=16)
def _chrf(word_order: int) -> Any:
    from sacrebleu.metrics import CHRF

    return CHRF(word_order=word_order)


@lru_cache(maxsize=4)
def _ter() -> Any:
    from sacrebleu.metrics import TER

    return TER()


def ter(output: str, refs: Sequence[str]) -> float:
    """Translation edit rate as a fraction (0 = identical; may exceed 1)."""
    return _ter().sentence_score(output, list(refs)).score / 100.0


def _with_ter(opts: dict[str, Any], default: bool) -> bool:
    return _bool_opt(opts, "ter", default)


@register(
    "bleu",
    threshold="min",
    default_threshold=0.5,
    description="sentence BLEU (sacrebleu) / 100 vs the reference(s), default threshold 0.5",
    warm=lambda: _bleu("13a", False, "exp"),
)
def _bleu_metric(spec: AssertionSpec, build: BuildContext) -> Fn:
    opts = check_options(spec, "tokenize", "lowercase", "smooth", "ter")
    tokenize = opts.get("tokenize", "13a")
    if tokenize not in _SACRE_TOKENIZERS:
        raise ConfigError(f"option 'tokenize' must be one of {sorted(_SACRE_TOKENIZERS)}")
    smooth = opts.get("smooth", "exp")
    if smooth not in ("exp", "floor", "add-k", "none"):
        raise ConfigError("option 'smooth' must be exp, floor, add-k or none")
    # TER costs ~4x BLEU itself: a detail on chrf by default, on bleu when asked (ter: true)
    lowercase, with_ter = _bool_opt(opts, "lowercase", False), _with_ter(opts, False)

    def compute(output: str, refs: tuple[str, ...]) -> tuple[float, dict[str, Any]]:
        value = _bleu(tokenize, lowercase, smooth).sentence_score(output, list(refs)).score / 100
        details: dict[str, Any] = {"references": list(refs)}
        if with_ter:
            details["ter"] = ter(output, refs)
        return value, details

    return _scored(spec, "BLEU", 0.5, compute)


@register(
    "chrf",
    threshold="min",
    default_threshold=0.5,
    description="sentence chrF (sacrebleu; word_order: 2 for chrF++) / 100, default threshold 0.5",
)
def _chrf_metric(spec: AssertionSpec, build: BuildContext) -> Fn:
    opts = check_options(spec, "word_order", "ter")
    word_order = _int_opt(opts, "word_order", 0, 0, 2)
    with_ter = _with_ter(opts, True)

    def compute(output: str, refs: tuple[str, ...]) -> tuple[float, dict[str, Any]]:
        value = _chrf(word_order).sentence_score(output, list(refs)).score / 100
        details: dict[str, Any] = {"references": list(refs)}
        if with_ter:
            details["ter"] = ter(output, refs)
        return value, details

    return _scored(spec, "chrF", 0.5, compute)
