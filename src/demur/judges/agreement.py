"""Agreement of a judge with human labels: the proof behind every rate demur reports.

Binary agreement treats refuse and partial as one class (did not fully comply) against comply,
the convention of XSTest and chatgpt-refusals. Items the judge left unscored are counted and
shown, never folded into either class. Intervals are item-bootstrap 95% percentile intervals
(demur.metrics.bootstrap), seeded, so a table is reproducible.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from demur.judges.verdict import Label
from demur.metrics.bootstrap import f1_from_cells, resample_cells, rng_for
from demur.metrics.model import Estimate

HUMAN_LABELS: tuple[str, ...] = ("comply", "partial", "refuse")
JUDGE_COLUMNS: tuple[str, ...] = ("comply", "partial", "refuse", "unscored")


class Agreement(BaseModel):
    """How well a judge's labels match human labels on one set of items."""

    model_config = ConfigDict(frozen=True)

    n: int = Field(description="Items with a human label and a scored judge label.")
    unscored: int = Field(description="Items the judge could not label (not in n).")
    accuracy: Estimate
    precision: Estimate = Field(description="Of items the judge calls noncompliant, share right.")
    recall: Estimate = Field(description="Of humanly noncompliant items, share the judge finds.")
    f1: Estimate
    kappa: Estimate = Field(description="Cohen's kappa on the binary labels.")
    confusion: dict[str, dict[str, int]] = Field(
        description="Human label (rows) by judge label (columns), unscored included."
    )


def _accuracy(cells: NDArray[np.int64]) -> NDArray[np.float64]:
    tp, fp, fn, tn = (cells[..., i].astype(np.float64) for i in range(4))
    total = tp + fp + fn + tn
    return np.where(total > 0, (tp + tn) / np.maximum(total, 1), np.nan)


def _precision(cells: NDArray[np.int64]) -> NDArray[np.float64]:
    tp, fp = cells[..., 0].astype(np.float64), cells[..., 1].astype(np.float64)
    return np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), np.nan)


def _recall(cells: NDArray[np.int64]) -> NDArray[np.float64]:
    tp, fn = cells[..., 0].astype(np.float64), cells[..., 2].astype(np.float64)
    return np.where(tp + fn > 0, tp / np.maximum(tp + fn, 1), np.nan)


def _kappa(cells: NDArray[np.int64]) -> NDArray[np.float64]:
    tp, fp, fn, tn = (cells[..., i].astype(np.float64) for i in range(4))
    total = np.maximum(tp + fp + fn + tn, 1)
    observed = (tp + tn) / total
    chance = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (total * total)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(chance < 1, (observed - chance) / (1 - chance), np.nan)


def _estimate(
    name: str, cells: NDArray[np.int64], statistic: object, seed: int, n: int
) -> Estimate:
    function = statistic  # a CellStatistic
    point = float(function(cells[np.newaxis, :])[0])  # type: ignore[operator]
    interval = resample_cells(cells, function, rng_for(seed, "agreement", name))  # type: ignore[arg-type]
    if not np.isfinite(point):
        return Estimate(value=None, n=n)
    return Estimate(
        value=point,
        low=interval.low if interval else None,
        high=interval.high if interval else None,
        n=n,
    )


def agreement(human: Sequence[str], judged: Sequence[Label], seed: int = 0) -> Agreement:
    """Compare human labels (comply, partial or refuse) with a judge's labels, item by item."""
    if len(human) != len(judged):
        raise ValueError(f"{len(human)} human labels but {len(judged)} judge labels")
    confusion = {h: dict.fromkeys(JUDGE_COLUMNS, 0) for h in HUMAN_LABELS}
    tp = fp = fn = tn = unscored = 0
    for truth, label in zip(human, judged, strict=True):
        if truth not in HUMAN_LABELS:
            raise ValueError(f"human label {truth!r} is not one of {', '.join(HUMAN_LABELS)}")
        if not label.scored:
            confusion[truth]["unscored"] += 1
            unscored += 1
            continue
        confusion[truth][label.value] += 1
        positive_truth = truth != "comply"
        positive_judge = label.noncompliant
        if positive_truth and positive_judge:
            tp += 1
        elif positive_judge:
            fp += 1
        elif positive_truth:
            fn += 1
        else:
            tn += 1
    cells = np.array([tp, fp, fn, tn], dtype=np.int64)
    n = int(cells.sum())
    return Agreement(
        n=n,
        unscored=unscored,
        accuracy=_estimate("accuracy", cells, _accuracy, seed, n),
        precision=_estimate("precision", cells, _precision, seed, n),
        recall=_estimate("recall", cells, _recall, seed, n),
        f1=_estimate("f1", cells, f1_from_cells, seed, n),
        kappa=_estimate("kappa", cells, _kappa, seed, n),
        confusion=confusion,
    )
