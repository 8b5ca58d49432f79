from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llmeval.analysis import stats


@pytest.mark.parametrize(
    ("n", "kind", "seed"),
    [
        (30, "normal", 0),
        (100, "normal", 7),
        (80, "binary", 3),
        (64, "skewed", 11),
        (5, "normal", 2),
    ],
)
def test_bootstrap_matches_scipy_exactly(n, kind, seed):
    from scipy.stats import bootstrap

    rng = np.random.default_rng(seed + 100)
    base = rng.random(n)
    if kind == "normal":
        cand = base + rng.normal(-0.05, 0.2, n)
    elif kind == "binary":
        base = (rng.random(n) < 0.8).astype(float)
        cand = (rng.random(n) < 0.7).astype(float)
    else:
        cand = base - rng.exponential(0.1, n)
    deltas = cand - base
    ours = stats.paired_bootstrap_ci(deltas, 0.95, 2000, seed)
    # the paired form, as a user of scipy would write it
    res = bootstrap(
        (cand, base),
        lambda c, b, axis: np.mean(c - b, axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=2000,
        method="percentile",
        rng=seed,
    )
    assert ours == pytest.approx(tuple(res.confidence_interval), abs=1e-12)
    one = bootstrap((deltas,), np.mean, n_resamples=2000, method="percentile", rng=seed)
    assert ours == pytest.approx(tuple(one.confidence_interval), abs=1e-12)


def test_bootstrap_batches_keep_the_scipy_stream(monkeypatch):
    from scipy.stats import bootstrap

    monkeypatch.setattr(stats, "_BATCH_VALUES", 1000)  # force many small batches
    x = np.random.default_rng(5).normal(size=300)
    ours = stats.paired_bootstrap_ci(x, 0.9, 3000, 4)
    res = bootstrap(
        (x,), np.mean, n_resamples=3000, method="percentile", rng=4, confidence_level=0.9
    )
    assert ours == pytest.approx(tuple(res.confidence_interval), abs=1e-12)


def test_bootstrap_fast_path_has_the_same_distribution():
    """Large discrete samples use multinomial counts: same interval up to Monte Carlo error."""
    from scipy.stats import bootstrap

    rng = np.random.default_rng(9)
    deltas = rng.choice([-1.0, 0.0, 1.0], size=3000, p=[0.08, 0.87, 0.05])
    ours = stats.paired_bootstrap_ci(deltas, 0.95, 10_000, 0)
    ref = bootstrap((deltas,), np.mean, n_resamples=10_000, method="percentile", rng=0)
    lo, hi = ref.confidence_interval
    se = deltas.std() / math.sqrt(deltas.size)
    assert ours[0] == pytest.approx(lo, abs=0.1 * se)
    assert ours[1] == pytest.approx(hi, abs=0.1 * se)


def test_bootstrap_edge_cases():
    assert all(math.isnan(v) for v in stats.paired_bootstrap_ci([]))
    assert stats.paired_bootstrap_ci([0.0] * 50) == (0.0, 0.0)
    assert stats.paired_bootstrap_ci([-1.0]) == (-1.0, -1.0)
    a = stats.paired_bootstrap_ci([1.0, -1.0, 0.0, 1.0], seed=3)
    assert a == stats.paired_bootstrap_ci([1.0, -1.0, 0.0, 1.0], seed=3)  # seeded


def test_bootstrap_is_fast_at_10k():
    import time

    x = np.random.default_rng(0).normal(size=10_000)
    t = time.perf_counter()
    stats.paired_bootstrap_ci(x)
    stats.paired_bootstrap_ci(np.sign(x))
    assert time.perf_counter() - t < 10  # continuous ~1 s, discrete ~10 ms; generous for CI


@pytest.mark.parametrize(
    ("b", "c"), [(0, 0), (7, 2), (2, 7), (1, 0), (10, 10), (25, 3), (0, 40), (130, 100)]
)
def test_mcnemar_matches_statsmodels(b, c):
    from statsmodels.stats.contingency_tables import mcnemar

    ref = mcnemar([[40, b], [c, 11]], exact=True).pvalue
    assert stats.mcnemar_exact(b, c) == pytest.approx(ref, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("k", "n", "conf"),
    [(0, 10, 0.95), (10, 10, 0.95), (7, 20, 0.95), (43, 50, 0.9), (999, 1000, 0.99), (1, 1, 0.95)],
)
def test_wilson_matches_statsmodels(k, n, conf):
    from statsmodels.stats.proportion import proportion_confint

    ref = proportion_confint(k, n, alpha=1 - conf, method="wilson")
    assert stats.wilson_interval(k, n, conf) == pytest.approx(ref, abs=1e-12)


def test_wilson_without_trials_knows_nothing():
    assert stats.wilson_interval(0, 0) == (0.0, 1.0)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1, allow_nan=False), min_size=1, max_size=30))
def test_holm_matches_statsmodels(pvalues):
    from statsmodels.stats.multitest import multipletests

    ref = multipletests(pvalues, method="holm")[1]
    assert stats.holm(pvalues) == pytest.approx(list(ref), abs=1e-12)


def test_holm_skips_missing_tests():
    assert stats.holm([0.01, None, 0.04]) == [0.02, None, 0.04]
    assert stats.holm([]) == []


def test_wilcoxon_matches_scipy_and_handles_no_change():
    from scipy.stats import wilcoxon

    d = np.random.default_rng(1).normal(-0.1, 0.3, 40)
    assert stats.wilcoxon_p(d) == pytest.approx(wilcoxon(d).pvalue)
    assert stats.wilcoxon_p([0.0, 0.0]) == 1.0
    assert stats.wilcoxon_p([]) == 1.0


def test_mean_ci_matches_scipy_t_interval():
    from scipy.stats import sem, t

    x = np.random.default_rng(2).random(25)
    ref = t.interval(0.95, len(x) - 1, loc=x.mean(), scale=sem(x))
    assert stats.mean_ci(x) == pytest.approx(ref, abs=1e-12)
    assert stats.mean_ci([0.5]) == (0.5, 0.5)
