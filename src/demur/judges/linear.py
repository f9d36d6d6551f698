"""The learned model behind the `classifier` judge: hashed logistic regression, calibrated.

Inference is numpy only. The weights file (demur/judges/data/classifier.npz) is rebuilt by
scripts/train_judge.py; it holds the weights, a Platt calibration fitted on held-out dev data and
the decision threshold, with a JSON record of what it was trained on.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from demur.judges.features import DIMENSIONS, SparseRow

WEIGHTS_FILE = "classifier.npz"


class ModelFileError(ValueError):
    """The classifier weights file is missing or does not fit this demur."""


@dataclass(frozen=True)
class LinearModel:
    """Weights over hashed features, with calibration a*z + b and a threshold on P(noncomply)."""

    weights: npt.NDArray[np.float32]
    bias: float
    scale: float = 1.0
    shift: float = 0.0
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)
    digest: str = ""

    @property
    def version(self) -> str:
        """The training date and a digest of the weights: retraining always changes it."""
        return f"{self.meta.get('version', '0')}.{self.digest}" if self.digest else "unsaved"

    def logit(self, row: SparseRow) -> float:
        """The raw score; above zero leans to noncompliance."""
        return float(self.weights[row.indices] @ row.values) + self.bias

    def probability(self, row: SparseRow) -> float:
        """Calibrated P(the response does not fully comply)."""
        z = self.scale * self.logit(row) + self.shift
        return float(1.0 / (1.0 + np.exp(-np.clip(z, -30.0, 30.0))))

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            weights=self.weights.astype(np.float16),
            numbers=np.array([self.bias, self.scale, self.shift, self.threshold]),
            meta=np.array(json.dumps(self.meta, sort_keys=True)),
        )


def default_path() -> Path:
    return Path(str(resources.files("demur.judges").joinpath("data", WEIGHTS_FILE)))


def load_model(path: Path) -> LinearModel:
    """Read a weights file written by LinearModel.save."""
    if not path.is_file():
        raise ModelFileError(
            f"no classifier weights at {path}: rebuild them with `python scripts/train_judge.py`"
        )
    with np.load(path, allow_pickle=False) as data:
        weights = data["weights"].astype(np.float32)
        bias, scale, shift, threshold = (float(x) for x in data["numbers"])
        meta = json.loads(str(data["meta"]))
    if weights.shape != (DIMENSIONS,):
        raise ModelFileError(
            f"{path} has {weights.shape[0]} weights but the features have {DIMENSIONS}: "
            "rebuild it with `python scripts/train_judge.py`"
        )
    digest = f"{zlib.crc32(path.read_bytes()):08x}"
    return LinearModel(weights, bias, scale, shift, threshold, meta, digest)


@cache
def shipped_model() -> LinearModel:
    """The weights shipped in the package, read once."""
    return load_model(default_path())
