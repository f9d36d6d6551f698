"""Calibration end to end: score prompts on a model, split, fit, and check on held-out prompts."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel

from demur.backends.base import Backend, GenerateConfig
from demur.calibrate.fit import ScoredPrompt, rates
from demur.calibrate.probe import first_logits as probe_first_logits
from demur.calibrate.probe import opening_ids, vocabulary_ids
from demur.calibrate.profile import Mode
from demur.calibrate.scores import FirstStepScores, scores_from_logits
from demur.run.spec import build_messages
from demur.suites.model import Expected, Prompt
from demur.train.tokens import REFUSAL_TOKENS

ANY = "any"


class KeyKind(StrEnum):
    """Which first tokens a profile reads."""

    TOKENS = "tokens"
    """One refusal token per category (a model trained with demur train --refusal-tokens)."""
    OPENINGS = "openings"
    """First tokens of typical refusal openings, one 'any' key (any model with logits)."""
    AUTO = "auto"


@dataclass(frozen=True)
class Keys:
    """The profile's keys: token ids and their text, and how a prompt maps to a key."""

    kind: KeyKind
    token_ids: dict[str, tuple[int, ...]]
    tokens: dict[str, tuple[str, ...]]

    def key_of(self, prompt: Prompt) -> str:
        return prompt.category if self.kind is KeyKind.TOKENS else ANY


def resolve_keys(backend: Backend, kind: KeyKind = KeyKind.AUTO) -> Keys:
    """Refusal-token keys when the model has those tokens (or they are asked for), else openings."""
    if kind in (KeyKind.TOKENS, KeyKind.AUTO):
        try:
            ids = {c: vocabulary_ids(backend, [t]) for c, t in REFUSAL_TOKENS.items()}
            return Keys(KeyKind.TOKENS, ids, {c: (t,) for c, t in REFUSAL_TOKENS.items()})
        except ValueError:
            if kind is KeyKind.TOKENS:
                raise
    ids_any = opening_ids(backend)
    return Keys(KeyKind.OPENINGS, {ANY: ids_any}, {})


def in_calibration_split(prompt: Prompt, fraction: float, seed: int) -> bool:
    """Deterministic split by pair (or id), so mirrored prompts stay on the same side."""
    unit = prompt.pair_id or f"{prompt.suite}/{prompt.id}"
    digest = hashlib.sha256(f"{seed}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


async def score_prompts(
    backend: Backend,
    prompts: Sequence[Prompt],
    keys: Keys,
    config: GenerateConfig,
    progress: Callable[[int, int], None] | None = None,
) -> list[ScoredPrompt]:
    """First-step scores of every prompt (one prompt pass each)."""
    scored = []
    for done, prompt in enumerate(prompts, start=1):
        logits = await probe_first_logits(backend, build_messages(prompt.text, config))
        scored.append(
            ScoredPrompt(
                key=keys.key_of(prompt),
                scores=scores_from_logits(logits, keys.token_ids),
                should_refuse=prompt.expected is Expected.NONCOMPLY,
            )
        )
        if progress is not None:
            progress(done, len(prompts))
    return scored


@dataclass(frozen=True)
class TargetCheck:
    """A key's achieved refusal rate on prompts the profile was not fitted on."""

    key: str
    target: float | None
    refused: int
    total: int
    low: float
    high: float
    contrast_refused: int
    contrast_total: int

    @property
    def rate(self) -> float:
        return self.refused / self.total if self.total else math.nan

    @property
    def hit(self) -> bool:
        return self.target is not None and self.low <= self.target <= self.high


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95% interval of k/n; honest at rates near 0 or 1, unlike a percentile
    bootstrap, which collapses to a point there."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def check(
    items: Sequence[ScoredPrompt],
    values: Mapping[str, float],
    targets: Mapping[str, float],
    mode: Mode,
) -> list[TargetCheck]:
    """Achieved refusal rates per key under `values`, with Wilson intervals."""
    table = rates(items, values, mode)
    out = []
    for key in sorted({k for k, _ in table}):
        refused_, total = table.get((key, True), (0, 0))
        c_refused, c_total = table.get((key, False), (0, 0))
        low, high = wilson(refused_, total)
        out.append(
            TargetCheck(key, targets.get(key), refused_, total, low, high, c_refused, c_total)
        )
    return out


def parse_targets(text: str) -> dict[str, float]:
    """'unsafe=0.95,incomplete=0.6' to a mapping; rates must lie in [0, 1]."""
    targets: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = math.nan
        if not sep or not 0 <= rate <= 1:
            raise ValueError(f"bad target {part!r}: write KEY=RATE with RATE in [0, 1]")
        targets[key.strip()] = rate
    return targets


class ScoreFile(BaseModel):
    """First-step scores of a suite on a model, kept so several profiles and sweeps can be
    fitted without scoring the prompts again."""

    model: str
    suite: str
    system_prompt: str | None
    kind: KeyKind
    token_ids: dict[str, tuple[int, ...]]
    tokens: dict[str, tuple[str, ...]]
    prompt_ids: list[str]
    items: list[tuple[str, bool, FirstStepScores]]

    def matches(self, model: str, suite: str, system_prompt: str | None) -> bool:
        return (self.model, self.suite, self.system_prompt) == (model, suite, system_prompt)

    def keys(self) -> Keys:
        return Keys(self.kind, self.token_ids, self.tokens)

    def scored(self) -> list[ScoredPrompt]:
        return [ScoredPrompt(key, scores, refuse) for key, refuse, scores in self.items]

    @classmethod
    def build(
        cls, model: str, suite: str, system_prompt: str | None, keys: Keys,
        prompts: Sequence[Prompt], scored: Sequence[ScoredPrompt],
    ) -> ScoreFile:  # fmt: skip
        return cls(
            model=model, suite=suite, system_prompt=system_prompt, kind=keys.kind,
            token_ids=keys.token_ids, tokens=keys.tokens,
            prompt_ids=[f"{p.suite}/{p.id}" for p in prompts],
            items=[(s.key, s.should_refuse, s.scores) for s in scored],
        )  # fmt: skip
