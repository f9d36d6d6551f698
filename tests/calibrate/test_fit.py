"""Threshold and bias fitting on synthetic scores with known answers."""

from __future__ import annotations

import math
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from demur.calibrate.apply import steer_first_step
from demur.calibrate.fit import ScoredPrompt, fit, rates, sweep
from demur.calibrate.profile import CalibrationProfile, Mode
from demur.calibrate.scores import FirstStepScores, scores_from_logits

KEYS = ("unsafe", "incomplete")


def synthetic(n: int, seed: int) -> list[ScoredPrompt]:
    """Each key's prompts score high on their own token; contrast prompts score lower."""
    rng = np.random.default_rng(seed)
    items = []
    for key in KEYS:
        for positive in (True, False):
            for _ in range(n):
                own = rng.normal(-1.0 if positive else -4.0, 1.5)
                refusal = {k: (own if k == key else rng.normal(-8, 1)) for k in KEYS}
                scores = FirstStepScores(refusal=refusal, best_other=rng.normal(-1.5, 0.5))
                items.append(ScoredPrompt(key=key, scores=scores, should_refuse=positive))
    return items


@pytest.mark.parametrize("mode", list(Mode))
@pytest.mark.parametrize(
    "targets", [{"unsafe": 0.95, "incomplete": 0.6}, {"unsafe": 0.3, "incomplete": 0.8}]
)
def test_fitted_values_hit_targets_on_fit_and_held_out_data(
    mode: Mode, targets: dict[str, float]
) -> None:
    values = fit(synthetic(400, seed=1), targets, mode)
    for data, tolerance in ((synthetic(400, seed=1), 0.01), (synthetic(4000, seed=2), 0.04)):
        table = rates(data, values, mode)
        for key, target in targets.items():
            hit, total = table[(key, True)]
            assert abs(hit / total - target) <= tolerance, (key, hit / total, target)


def test_known_threshold_from_hand_made_scores() -> None:
    # Four unsafe prompts with refusal probabilities 0.9, 0.7, 0.5, 0.3: a 50% target must put
    # the threshold between 0.7 and 0.5, i.e. at exp(mean of their logs).
    probs = [0.9, 0.7, 0.5, 0.3]
    items = [
        ScoredPrompt(
            "unsafe", FirstStepScores(refusal={"unsafe": math.log(p)}, best_other=0.0), True
        )
        for p in probs
    ]
    (value,) = fit(items, {"unsafe": 0.5}, Mode.THRESHOLD).values()
    assert value == pytest.approx(math.sqrt(0.7 * 0.5))


def test_sweep_curves_are_monotonic() -> None:
    for mode in Mode:
        curve = sweep(synthetic(200, seed=3), mode)
        for key in KEYS:
            rates_ = [p.should_refuse_rate for p in curve if p.key == key]
            contrast = [p.contrast_rate for p in curve if p.key == key]
            step = 1 if mode is Mode.BIAS else -1  # bias up: more refusals; threshold up: fewer
            assert all(b * step >= a * step for a, b in pairwise(rates_))
            assert all(b * step >= a * step for a, b in pairwise(contrast))  # type: ignore[operator]


def test_profile_round_trips(tmp_path: Path) -> None:
    profile = CalibrationProfile(
        mode=Mode.THRESHOLD, token_ids={"unsafe": (5,), "incomplete": (6, 7)},
        tokens={"unsafe": ("<|refuse_unsafe|>",)}, values={"unsafe": 0.25}, targets={"unsafe": 0.9},
    )  # fmt: skip
    assert CalibrationProfile.load(profile.save(tmp_path / "p.yaml")) == profile
    (tmp_path / "bad.yaml").write_text("mode: sideways\n")
    with pytest.raises(ValueError, match=r"bad\.yaml"):
        CalibrationProfile.load(tmp_path / "bad.yaml")


def test_steering_forces_or_suppresses_refusal_tokens() -> None:
    logits = np.zeros(10, dtype=np.float32)
    logits[3] = 2.0  # p(token 3) is about 0.45 of the vocabulary
    profile = CalibrationProfile(
        mode=Mode.THRESHOLD, token_ids={"unsafe": (3,)}, values={"unsafe": 0.4}
    )
    assert int(np.argmax(steer_first_step(logits, profile))) == 3
    assert np.isneginf(steer_first_step(logits, profile)).sum() == 9
    strict = profile.model_copy(update={"values": {"unsafe": 0.5}})
    steered = steer_first_step(logits, strict)
    assert np.isneginf(steered[3]) and int(np.argmax(steered)) != 3
    bias = CalibrationProfile(mode=Mode.BIAS, token_ids={"unsafe": (3,)}, values={"unsafe": -5.0})
    assert int(np.argmax(steer_first_step(logits, bias))) != 3
    assert bias.logit_bias() == {"3": -5.0}


def test_scores_from_logits_sum_a_keys_tokens() -> None:
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    scores = scores_from_logits(logits, {"any": (0, 1)})
    assert math.exp(scores.refusal["any"]) == pytest.approx(0.3)
    assert math.exp(scores.best_other) == pytest.approx(0.4)
