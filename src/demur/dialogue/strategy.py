"""Interlocutor strategies: what the scripted user says after an undesired reply.

`polite` declines without arguing; `rebuttal` names what was wrong and why; `none` says nothing
(a control). Templates are data in demur/dialogue/data/strategies.yaml.
"""

from __future__ import annotations

import zlib
from enum import StrEnum
from functools import cache
from importlib import resources

import yaml

from demur.dialogue.scenario import Scenario


class Strategy(StrEnum):
    """How the interlocutor answers an undesired reply."""

    POLITE = "polite"
    REBUTTAL = "rebuttal"
    NONE = "none"


@cache
def templates() -> dict[Strategy, tuple[str, ...]]:
    """The shipped templates per strategy."""
    text = resources.files("demur.dialogue").joinpath("data", "strategies.yaml").read_text("utf-8")
    raw = yaml.safe_load(text)["strategies"]
    return {Strategy(name): tuple(raw.get(name) or ()) for name in Strategy}


def feedback(strategy: Strategy, scenario: Scenario, turn: int) -> str | None:
    """The interlocutor's reply to an undesired answer at `turn`, or None for `none`."""
    options = templates()[strategy]
    if not options:
        return None
    # Stable across processes (unlike hash()), so a resumed run sends the same words.
    pick = zlib.crc32(f"{scenario.id}:{turn}".encode()) % len(options)
    wrong = scenario.wrong.rstrip(". ")
    return options[pick].format(wrong=wrong, goal=scenario.goal)


def parse_strategies(spec: str) -> list[Strategy]:
    """`polite`, `rebuttal`, `none`, `both` (polite and rebuttal) or a comma-separated list."""
    chosen: list[Strategy] = []
    for part in (p.strip().lower() for p in spec.split(",")):
        names = ["polite", "rebuttal"] if part == "both" else [part]
        for name in names:
            try:
                strategy = Strategy(name)
            except ValueError:
                known = ", ".join([*(s.value for s in Strategy), "both"])
                raise ValueError(f"unknown strategy {name!r}; known: {known}") from None
            if strategy not in chosen:
                chosen.append(strategy)
    return chosen
