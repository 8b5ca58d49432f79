"""The gate's calibration by simulation (benchmarks/gate_calibration.py explains the design)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "gate_calibration.py"
_spec = importlib.util.spec_from_file_location("gate_calibration", _PATH)
calib = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(calib)


def test_planted_drop_is_exactly_five_points():
    rng = np.random.default_rng(0)
    p = calib.target(500, rng)
    assert p.mean() - calib.break_cases(p, 0.05, rng).mean() == pytest.approx(0.05)
    assert p.mean() - calib.diffuse(p, 0.05).mean() == pytest.approx(0.05)


@pytest.mark.slow
def test_gate_calibration_over_200_trials():
    r = calib.rates(trials=200, n=500, seed=0)
    print(f"false-positive rate {r['null']:.1%}, power {r['break']:.1%} (flips {r['flips']:.1%})")
    assert r["null"] <= 0.05
    assert r["break"] >= 0.80
