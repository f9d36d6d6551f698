"""Calibration profiles: per-category refusal thresholds or logit biases, saved as YAML."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Mode(StrEnum):
    """How a profile steers the first generated token."""

    THRESHOLD = "threshold"
    """Refuse with key k when P(k's refusal token) >= threshold[k]; else suppress refusal tokens."""
    BIAS = "bias"
    """Add bias[k] to k's refusal token logits and let decoding choose (OpenAI logit_bias)."""


class CalibrationProfile(BaseModel):
    """Per-key settings for the first generated position.

    A key is a taxonomy category of a refusal-token model (its token opens a noncompliant answer
    of that category), or "any" for a model without refusal tokens (its tokens are the first
    tokens of typical refusal openings). Keys without a value keep the model's own choice.
    """

    model_config = ConfigDict(frozen=True)

    mode: Mode
    token_ids: dict[str, tuple[int, ...]] = Field(
        description="Key to the token ids whose probabilities make its score."
    )
    tokens: dict[str, tuple[str, ...]] = Field(
        default_factory=dict, description="The same tokens as text, for reading and for APIs."
    )
    values: dict[str, float] = Field(
        description="Threshold (probability, threshold mode) or logit bias (bias mode) per key."
    )
    model: str = Field(default="", description="The model spec the profile was fitted on.")
    targets: dict[str, float] = Field(default_factory=dict, description="Target refusal rates.")
    fitted: dict[str, float] = Field(
        default_factory=dict, description="Refusal rates achieved on the calibration prompts."
    )
    calibration_prompts: int = 0

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.model_dump(mode="json")
        path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), "utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> CalibrationProfile:
        path = Path(path)
        try:
            return cls.model_validate(yaml.safe_load(path.read_text("utf-8")))
        except (OSError, yaml.YAMLError, ValidationError) as exc:
            raise ValueError(f"{path}: not a calibration profile: {exc}") from exc

    def logit_bias(self) -> dict[str, float]:
        """The profile as an OpenAI-style logit_bias map (bias mode only)."""
        if self.mode is not Mode.BIAS:
            raise ValueError("only a bias-mode profile can be sent as logit_bias")
        return {
            str(token_id): self.values[key]
            for key, ids in self.token_ids.items()
            if key in self.values
            for token_id in ids
        }
