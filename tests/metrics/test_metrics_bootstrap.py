from __future__ import annotations

import numpy as np

from demur.metrics.bootstrap import (
    f1_from_cells,
    mean_interval,
    proportion_interval,
    resample_cells,
    rng_for,
)


def test_proportion_interval_holds_the_estimate_and_narrows_with_n() -> None:
    small = proportion_interval(6, 20, rng_for(0, "x"))
    large = proportion_interval(600, 2000, rng_for(0, "x"))
    assert small is not None and large is not None
    assert small.low <= 0.3 <= small.high
    assert large.low <= 0.3 <= large.high
    assert (large.high - large.low) < (small.high - small.low) / 5
    # Normal approximation: half-width about 1.96 * sqrt(p(1-p)/n) = 0.020 for n=2000.
    assert abs((large.high - large.low) / 2 - 0.020) < 0.004


def test_intervals_are_seeded_and_keyed() -> None:
    a = proportion_interval(7, 30, rng_for(1, "group"))
    b = proportion_interval(7, 30, rng_for(1, "group"))
    c = proportion_interval(7, 30, rng_for(2, "group"))
    assert a == b
    assert a != c


def test_empty_and_degenerate_samples() -> None:
    assert proportion_interval(0, 0, rng_for(0)) is None
    full = proportion_interval(10, 10, rng_for(0))
    assert full is not None and full.low == full.high == 1.0
    assert mean_interval(np.array([], dtype=np.float64), rng_for(0)) is None


def test_mean_interval_covers_the_mean() -> None:
    values = np.random.default_rng(5).normal(4.0, 2.0, size=3000)
    interval = mean_interval(values, rng_for(0, "m"))
    assert interval is not None
    assert interval.low < values.mean() < interval.high
    assert 0.05 < interval.high - interval.low < 0.2  # about 2 * 1.96 * 2 / sqrt(3000) = 0.14


def test_f1_from_cells_and_its_resampled_interval() -> None:
    cells = np.array([[8, 2, 2, 8], [0, 0, 0, 5], [0, 3, 1, 0]])
    f1 = f1_from_cells(cells)
    assert f1[0] == 0.8
    assert np.isnan(f1[1])  # no positives and no positive predictions: undefined
    assert f1[2] == 0.0
    interval = resample_cells([8, 2, 2, 8], f1_from_cells, rng_for(0, "f1"))
    assert interval is not None and interval.low < 0.8 < interval.high
