"""Bootstrap intervals, vectorised with numpy and seeded so a report is reproducible.

Every statistic demur reports is a function of counts over a few outcome cells (comply or not,
expected or not, ...). Resampling items with replacement is the same as drawing those counts from
a multinomial with the observed shares, so one `rng.multinomial` call gives every replicate at
once, whatever the number of items.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

RESAMPLES = 2000
"""Bootstrap replicates per interval: enough for stable 2.5/97.5 percentiles."""

CONFIDENCE = 0.95

FloatArray = NDArray[np.float64]
CellStatistic = Callable[[NDArray[np.int64]], FloatArray]
"""Maps replicate cell counts, shape (replicates, cells), to one value per replicate."""


@dataclass(frozen=True)
class Interval:
    """A two-sided percentile interval."""

    low: float
    high: float

    def excludes(self, value: float) -> bool:
        return value < self.low or value > self.high


def rng_for(seed: int, *key: str) -> np.random.Generator:
    """A generator seeded by `seed` and a stable key, so one group's interval does not depend
    on which other groups were computed before it."""
    return np.random.default_rng([seed, *(zlib.crc32(part.encode()) for part in key)])


def percentile_interval(replicates: FloatArray) -> Interval | None:
    """The central CONFIDENCE interval of replicates; None when no replicate is defined."""
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return None
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(float(low), float(high))


def resample_cells(
    counts: NDArray[np.int64] | list[int],
    statistic: CellStatistic,
    rng: np.random.Generator,
    resamples: int = RESAMPLES,
) -> Interval | None:
    """Interval of `statistic` under an item bootstrap of the observed cell counts."""
    cells = np.asarray(counts, dtype=np.int64)
    total = int(cells.sum())
    if total == 0:
        return None
    draws = rng.multinomial(total, cells / total, size=resamples).astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return percentile_interval(statistic(draws))


def proportion_interval(
    k: int, n: int, rng: np.random.Generator, resamples: int = RESAMPLES
) -> Interval | None:
    """Interval of k/n; resampling n items is a binomial draw with the observed share."""
    if n == 0:
        return None
    draws = rng.binomial(n, k / n, size=resamples) / n
    return percentile_interval(draws.astype(np.float64))


def mean_interval(
    values: FloatArray, rng: np.random.Generator, resamples: int = RESAMPLES
) -> Interval | None:
    """Interval of the mean of values (such as boundary scores)."""
    n = values.size
    if n == 0:
        return None
    distinct, counts = np.unique(values, return_counts=True)
    if distinct.size <= 256:
        # Scores usually take few distinct values: resampling items is then a multinomial over
        # those values, exact and far cheaper than drawing every index.
        draws = rng.multinomial(n, counts / n, size=resamples)
        return percentile_interval((draws @ distinct) / n)
    # Resampled indices, chunked so memory stays bounded (about 2M indices a chunk) for large n.
    means: list[FloatArray] = []
    chunk = max(1, 2_000_000 // n)
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        means.append(values[rng.integers(0, n, size=(size, n))].mean(axis=1))
    return percentile_interval(np.concatenate(means))


def f1_from_cells(cells: NDArray[np.int64]) -> FloatArray:
    """F1 per row of (tp, fp, fn, tn) counts; NaN where it is undefined (no positives at all)."""
    tp, fp, fn = cells[..., 0], cells[..., 1], cells[..., 2]
    denominator = 2 * tp + fp + fn
    return np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), np.nan)
