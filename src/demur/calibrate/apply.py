"""Applying a profile at the first generated position, inside the decoding loop.

The decision uses the logits the model computes anyway for its first token, so a profile costs no
extra forward pass: threshold mode forces the chosen key's refusal token or suppresses them all;
bias mode adds the profile's biases.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from demur.calibrate.profile import CalibrationProfile, Mode
from demur.calibrate.scores import scores_from_logits


def steer_first_step(logits: np.ndarray, profile: CalibrationProfile) -> np.ndarray:
    """The first position's logits after the profile's decision (a new array)."""
    out = np.array(logits, dtype=np.float32, copy=True)
    if profile.mode is Mode.BIAS:
        for key, ids in profile.token_ids.items():
            if key in profile.values:
                out[list(ids)] += profile.values[key]
        return out
    scores = scores_from_logits(out, profile.token_ids)
    passing = []
    for key in profile.token_ids:
        if key in profile.values:
            threshold = profile.values[key]
            ok = threshold <= 0 or scores.refusal[key] >= math.log(threshold)
        else:
            ok = scores.margin(key) > 0
        if ok:
            passing.append(key)
    if passing:
        chosen = max(passing, key=scores.margin)
        chosen_ids = list(profile.token_ids[chosen])
        keep = out[chosen_ids].copy()
        out[:] = -np.inf
        out[chosen_ids] = keep
        return out
    for ids in profile.token_ids.values():
        out[list(ids)] = -np.inf
    return out


class FirstStepSteer:
    """A logits processor that steers only its first call: the first generated position.

    Make one per request (llama-cpp-python: scores is one vocabulary vector) or per batch
    (transformers: scores is a batch of rows, each steered).
    """

    def __init__(self, profile: CalibrationProfile):
        self.profile = profile
        self.calls = 0

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        self.calls += 1
        if self.calls > 1:
            return scores
        if hasattr(scores, "detach"):  # a torch tensor of shape (batch, vocab)
            import torch

            rows = scores.detach().float().cpu().numpy()
            steered = np.stack([steer_first_step(row, self.profile) for row in rows])
            return torch.from_numpy(steered).to(scores.device, scores.dtype)
        return steer_first_step(scores, self.profile).astype(scores.dtype, copy=False)
