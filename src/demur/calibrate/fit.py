"""Fitting per-key thresholds or biases to target refusal rates, and sweeping them.

Both modes reduce to one rule: a prompt is refused when some key k has score_k > theta_k, where
the score is the refusal token's log-probability (threshold mode, theta = log threshold) or its
margin over the best other token (bias mode, theta = -bias). Keys without a theta keep the
model's own greedy choice (margin > 0). The refusal rate of a key's prompts falls monotonically
as its theta rises, so each theta is fitted exactly on sorted scores, in a few coordinate sweeps
because keys interact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from demur.calibrate.profile import Mode
from demur.calibrate.scores import FirstStepScores


@dataclass(frozen=True)
class ScoredPrompt:
    """A calibration prompt's first-step scores and the key (category) it belongs to."""

    key: str
    scores: FirstStepScores
    should_refuse: bool


def _matrices(
    items: Sequence[ScoredPrompt], keys: Sequence[str], mode: Mode
) -> tuple[np.ndarray, np.ndarray]:
    """(score, greedy margin) matrices of shape (items, keys)."""
    margin = np.array([[it.scores.margin(k) for k in keys] for it in items], dtype=np.float64)
    if mode is Mode.BIAS:
        return margin, margin
    logprob = np.array([[it.scores.refusal[k] for k in keys] for it in items], dtype=np.float64)
    return logprob, margin


def refused(score: np.ndarray, margin: np.ndarray, theta: Sequence[float | None]) -> np.ndarray:
    """Boolean per item: does any key pass its theta (or, without one, win greedily)?"""
    passed = np.zeros(score.shape, dtype=bool)
    for j, t in enumerate(theta):
        passed[:, j] = margin[:, j] > 0 if t is None else score[:, j] > t
    return np.asarray(passed.any(axis=1))


def _theta_for(scores: np.ndarray, others: np.ndarray, target: float) -> float:
    """theta making the share of (others OR score > theta) closest to target."""
    n = len(scores)
    free = np.sort(scores[~others])[::-1]
    need = round(target * n) - int(others.sum())
    if need <= 0:
        return math.inf
    if need >= len(free):
        return -math.inf
    return float((free[need - 1] + free[need]) / 2)


def fit(
    items: Sequence[ScoredPrompt], targets: Mapping[str, float], mode: Mode, sweeps: int = 4
) -> dict[str, float]:
    """Profile values per key hitting each target refusal rate on that key's should-refuse
    prompts: a probability threshold (threshold mode) or a logit bias (bias mode)."""
    keys = sorted({k for it in items for k in it.scores.refusal})
    unknown = set(targets) - set(keys)
    if unknown:
        raise ValueError(f"targets for unknown keys {sorted(unknown)}; known: {keys}")
    score, margin = _matrices(items, keys, mode)
    owner = np.array([it.key for it in items])
    positive = np.array([it.should_refuse for it in items])
    theta: list[float | None] = [None] * len(keys)
    for _ in range(sweeps):
        for key, target in targets.items():
            j = keys.index(key)
            rows = (owner == key) & positive
            if not rows.any():
                raise ValueError(f"no should-refuse calibration prompts for {key!r}")
            without = [t if i != j else math.inf for i, t in enumerate(theta)]
            others = refused(score[rows], margin[rows], without)
            theta[j] = _theta_for(score[rows, j], others, target)
    return {k: _value(t, mode) for k, t in zip(keys, theta, strict=True) if t is not None}


def _value(theta: float, mode: Mode) -> float:
    if mode is Mode.BIAS:
        return max(-100.0, min(100.0, -theta))
    return 0.0 if theta == -math.inf else 1.0 if theta == math.inf else math.exp(theta)


def _theta(value: float, mode: Mode) -> float:
    if mode is Mode.BIAS:
        return -value
    return -math.inf if value <= 0 else math.log(value)


def rates(
    items: Sequence[ScoredPrompt], values: Mapping[str, float], mode: Mode
) -> dict[tuple[str, bool], tuple[int, int]]:
    """(refused, total) per (key, should_refuse) under a profile's values."""
    keys = sorted({k for it in items for k in it.scores.refusal})
    score, margin = _matrices(items, keys, mode)
    theta = [_theta(values[k], mode) if k in values else None for k in keys]
    refusals = refused(score, margin, theta)
    out: dict[tuple[str, bool], tuple[int, int]] = {}
    for key in sorted({it.key for it in items}):
        for positive in (True, False):
            rows = np.array([it.key == key and it.should_refuse == positive for it in items])
            if rows.any():
                out[(key, positive)] = (int(refusals[rows].sum()), int(rows.sum()))
    return out


@dataclass(frozen=True)
class SweepPoint:
    """Refusal rates of one key's prompts at one value of its threshold or bias."""

    key: str
    value: float
    should_refuse_rate: float
    contrast_rate: float | None


def sweep(
    items: Sequence[ScoredPrompt],
    mode: Mode,
    points: int = 21,
    base: Mapping[str, float] | None = None,
) -> list[SweepPoint]:
    """Per key: refusal rate on should-refuse and on contrast prompts as its value varies,
    others held at `base` (default: the model's own choice).

    The values are quantiles of the key's own scores (plus the extremes), so each curve is drawn
    where its rates actually change rather than on a fixed grid where most points sit flat.
    """
    keys = sorted({it.key for it in items})
    curve: list[SweepPoint] = []
    for key in keys:
        for value in _grid(items, key, mode, points):
            values = {**(base or {}), key: value}
            table = rates(items, values, mode)
            hit, total = table.get((key, True), (0, 0))
            c_hit, c_total = table.get((key, False), (0, 0))
            curve.append(
                SweepPoint(
                    key=key,
                    value=value,
                    should_refuse_rate=hit / total if total else math.nan,
                    contrast_rate=c_hit / c_total if c_total else None,
                )
            )
    return curve


def _grid(items: Sequence[ScoredPrompt], key: str, mode: Mode, points: int) -> list[float]:
    own = [it.scores for it in items if it.key == key]
    if mode is Mode.BIAS:
        margins = np.array([s.margin(key) for s in own]) if own else np.zeros(1)
        inner = -np.quantile(margins, np.linspace(0, 1, points - 2))
        values = np.clip(np.concatenate(([-100.0], inner, [100.0])), -100.0, 100.0)
    else:
        probs = np.exp([s.refusal[key] for s in own]) if own else np.zeros(1)
        inner = np.quantile(probs, np.linspace(0, 1, points - 2))
        values = np.concatenate(([0.0], inner, [1.0]))
    return sorted({round(float(v), 12) for v in values})
