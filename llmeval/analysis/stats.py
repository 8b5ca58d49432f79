"""Paired statistics for run comparison: bootstrap CI, McNemar, Wilson, Holm, Wilcoxon.

Every function is pure and imports numpy/scipy lazily (the CLI must start without them).
Each one has a parity test against scipy or statsmodels in ``tests/analysis``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

# Above this many resampled values the discrete fast path is used (see paired_bootstrap_ci).
_EXACT_BUDGET = 1_000_000
# Memory bound for one batch of bootstrap indices (int64): 4M values = 32 MB.
_BATCH_VALUES = 4_000_000
_MAX_DISTINCT_FOR_COUNTS = 64


def paired_bootstrap_ci(
    deltas: Sequence[float],
    confidence: float = 0.95,
    n_resamples: int = 10_000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of paired differences.

    Below ``_EXACT_BUDGET`` resampled values (or for continuous data) this draws the
    same random stream as ``scipy.stats.bootstrap((deltas,), np.mean,
    method="percentile", rng=seed)`` and returns the same interval, in batches so
    memory stays bounded. For large samples with few distinct values (pass-rate deltas
    are in {-1, 0, 1}, or multiples of 1/repeats) it resamples category counts from a
    multinomial instead: the same bootstrap distribution at O(resamples x distinct)
    cost, but a different random stream. Empty input gives (nan, nan).
    """
    import numpy as np

    x = np.asarray(deltas, dtype=float)
    n = x.size
    if n == 0:
        return (math.nan, math.nan)
    if np.all(x == x[0]):  # degenerate: every resample has the same mean
        return (float(x[0]), float(x[0]))
    rng = np.random.default_rng(seed)
    alpha = (1.0 - confidence) / 2.0
    values, counts = np.unique(x, return_counts=True)
    if n * n_resamples > _EXACT_BUDGET and values.size <= _MAX_DISTINCT_FOR_COUNTS:
        draws = rng.multinomial(n, counts / n, size=n_resamples)
        means = draws @ values / n
    else:
        rows = max(1, _BATCH_VALUES // n)
        parts = []
        for start in range(0, n_resamples, rows):
            m = min(rows, n_resamples - start)
            # Same call shape as scipy's _bootstrap_resample, so the stream matches.
            idx = rng.integers(0, n, (m, n))
            parts.append(x[idx].mean(axis=-1))
        means = np.concatenate(parts)
    low, high = np.quantile(means, [alpha, 1.0 - alpha])
    return (float(low), float(high))


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts.

    ``b`` = pass -> fail, ``c`` = fail -> pass. Equals
    ``statsmodels...mcnemar([[a, b], [c, d]], exact=True).pvalue``.
    """
    from scipy.stats import binom

    n = b + c
    if n == 0:
        return 1.0
    return float(min(1.0, 2.0 * binom.cdf(min(b, c), n, 0.5)))


def wilson_interval(k: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for k successes in n trials (statsmodels' ``wilson``).

    n == 0 gives (0.0, 1.0): nothing is known. Pure Python (no scipy): the run summary
    calls it per group on every run.
    """
    if n <= 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    p = k / n
    z2 = z * z
    denom = 1.0 + z2 / n
    center = (p + z2 / (2.0 * n)) / denom
    half = z * math.sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom
    return (max(0.0, center - half), min(1.0, center + half))


def percentile(sorted_values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default method); None if empty."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def mcnemar_min_flips(alpha: float, opposite: int = 0, limit: int = 100_000) -> int | None:
    """The fewest pass -> fail flips that McNemar's exact test calls significant at
    ``alpha`` when ``opposite`` cases flipped the other way; None if none up to ``limit``.

    This is what the gate can see: with n paired cases, no drop smaller than
    ``mcnemar_min_flips(alpha, up) / n`` can ever be significant.
    """
    from scipy.stats import binom

    lo, hi = 1, 1
    while mcnemar_exact(hi, opposite) >= alpha:
        hi *= 2
        if hi > limit:
            return None
    while lo < hi:  # p falls as flips grow (opposite fixed): bisect the first below alpha
        mid = (lo + hi) // 2
        n = mid + opposite
        p = min(1.0, 2.0 * float(binom.cdf(min(mid, opposite), n, 0.5)))
        if p < alpha:
            hi = mid
        else:
            lo = mid + 1
    return lo


def holm(pvalues: Sequence[float | None]) -> list[float | None]:
    """Holm-Bonferroni step-down adjusted p-values, in the input order.

    ``None`` entries (no test) stay ``None`` and do not count in the family.
    Equals ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``.
    """
    indexed = sorted((p, i) for i, p in enumerate(pvalues) if p is not None)
    m = len(indexed)
    out: list[float | None] = [None] * len(pvalues)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def wilcoxon_p(deltas: Sequence[float]) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences (zeros dropped).

    Used for continuous scores; 1.0 when there is no non-zero difference.
    """
    import numpy as np
    from scipy.stats import wilcoxon

    x = np.asarray(deltas, dtype=float)
    x = x[x != 0]
    if x.size == 0:
        return 1.0
    res = wilcoxon(x, zero_method="wilcox", alternative="two-sided")
    p = float(res.pvalue)
    return 1.0 if math.isnan(p) else p


def mean_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Student-t interval of a mean (per-run score intervals; cheap, unpaired)."""
    import numpy as np
    from scipy.stats import t

    x = np.asarray(values, dtype=float)
    n = x.size
    if n == 0:
        return (math.nan, math.nan)
    m = float(x.mean())
    if n == 1:
        return (m, m)
    half = float(t.ppf(1.0 - (1.0 - confidence) / 2.0, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return (m - half, m + half)
