"""First-step scores: what the model's first generated position says about refusing.

For a refusal-token model, each category's score is the log-probability of its refusal token at
the first position; `best_other` is the strongest token that is none of them. For any other model,
the single score "any" is the log-probability mass of typical refusal openings' first tokens.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class FirstStepScores(BaseModel):
    """Log-probabilities at the first generated position, per refusal key."""

    model_config = ConfigDict(frozen=True)

    refusal: dict[str, float] = Field(description="Refusal key (category or 'any') to logprob.")
    best_other: float = Field(description="Logprob of the strongest non-refusal token.")

    def margin(self, key: str) -> float:
        """How far the key's refusal token leads (positive) or trails the best other token."""
        return self.refusal[key] - self.best_other


def log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted: np.ndarray = logits - logits.max()
    return shifted - math.log(float(np.exp(shifted).sum()))


def scores_from_logits(
    logits: np.ndarray, token_ids: Mapping[str, Sequence[int]]
) -> FirstStepScores:
    """Scores from a full first-position logit vector; each key may own several token ids
    (their probabilities are summed)."""
    logprobs = log_softmax(np.asarray(logits, dtype=np.float64))
    refusal = {
        key: float(np.logaddexp.reduce(logprobs[list(ids)])) for key, ids in token_ids.items()
    }
    mask = np.ones(logprobs.shape[0], dtype=bool)
    for ids in token_ids.values():
        mask[list(ids)] = False
    return FirstStepScores(refusal=refusal, best_other=float(logprobs[mask].max()))


def scores_from_top_logprobs(
    top: Mapping[str, float], tokens: Mapping[str, Sequence[str]]
) -> FirstStepScores:
    """Scores from an API's top log-probabilities at the first position. A refusal token absent
    from the list gets the smallest listed logprob: an upper bound, stated as such."""
    floor = min(top.values()) if top else -100.0
    refusal = {}
    for key, strings in tokens.items():
        found = [top[s] for s in strings if s in top]
        refusal[key] = float(np.logaddexp.reduce(found)) if found else floor
    refusal_strings = {s for strings in tokens.values() for s in strings}
    others = [lp for tok, lp in top.items() if tok not in refusal_strings]
    return FirstStepScores(refusal=refusal, best_other=max(others) if others else floor)
