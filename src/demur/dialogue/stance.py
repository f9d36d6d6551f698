"""Which way a text leans: does it endorse declining the request, or complying with it?

Used on reasoning traces (does the reasoning conclude that the request should be refused?) and,
as a second opinion, on the opening of replies. Phrases are data (data/stance.yaml).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

import yaml


class Stance(StrEnum):
    DECLINE = "decline"
    COMPLY = "comply"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class StanceReading:
    """A stance with the phrase that decided it (None when unclear)."""

    stance: Stance
    evidence: str | None = None
    strong: bool = False


@dataclass(frozen=True)
class _Phrases:
    decline_strong: tuple[re.Pattern[str], ...]
    decline_weak: tuple[re.Pattern[str], ...]
    comply_strong: tuple[re.Pattern[str], ...]
    comply_weak: tuple[re.Pattern[str], ...]


@cache
def _phrases() -> _Phrases:
    text = resources.files("demur.dialogue").joinpath("data", "stance.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)

    def compiled(side: str, strength: str) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.IGNORECASE) for p in raw[side][strength])

    return _Phrases(
        compiled("decline", "strong"),
        compiled("decline", "weak"),
        compiled("comply", "strong"),
        compiled("comply", "weak"),
    )


def _hits(patterns: tuple[re.Pattern[str], ...], text: str) -> list[re.Match[str]]:
    return [m for p in patterns for m in p.finditer(text)]


def _normalise(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


_NEGATED = re.compile(r"(\b(not|never|no|nothing|nor)\b|n't)[^.!?;:]{0,24}$", re.IGNORECASE)
"""A negation shortly before a phrase, in the same clause ("not something I can help with")."""


def read_stance(text: str) -> StanceReading:
    """The stance a text endorses: the last strong conclusion, else the balance of leanings."""
    text = _normalise(text)
    phrases = _phrases()
    strong = [(m, Stance.DECLINE) for m in _hits(phrases.decline_strong, text)]
    strong += [
        (m, Stance.COMPLY)
        for m in _hits(phrases.comply_strong, text)
        if not _NEGATED.search(text[max(0, m.start() - 40) : m.start()])
    ]
    if strong:
        # Where both sides are stated, the one said last is the conclusion; at the same position
        # (overlapping phrases, "I will not help") declining wins, since it carries the negation.
        match, stance = max(strong, key=lambda h: (h[0].start(), h[1] is Stance.DECLINE))
        return StanceReading(stance, match.group(0), strong=True)
    comply_weak = _hits(phrases.comply_weak, text)
    # A negated warning word ("not harmful") counts for complying, not for declining.
    negated = {m.start() + m.group(0).lower().rfind(" ") + 1 for m in comply_weak}
    decline_weak = [m for m in _hits(phrases.decline_weak, text) if m.start() not in negated]
    if len(decline_weak) > len(comply_weak):
        return StanceReading(Stance.DECLINE, decline_weak[-1].group(0))
    if len(comply_weak) > len(decline_weak):
        return StanceReading(Stance.COMPLY, comply_weak[-1].group(0))
    return StanceReading(Stance.UNCLEAR)
