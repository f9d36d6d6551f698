"""A small general-ability check: short factual and instruction-following items that demur
wrote (src/demur/train/data/general.jsonl), scored automatically by a contained answer.

It answers one question: did tuning against over-compliance cost the model its plain
usefulness? It is no benchmark; its items are few and easy on purpose, so a small model scores.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from pydantic import BaseModel, ConfigDict

from demur.backends.base import Backend, GenerateConfig, Message
from demur.run.retry import RetryPolicy, with_retries


class GeneralItem(BaseModel):
    """One question with the strings any of which counts as a right answer."""

    model_config = ConfigDict(frozen=True)

    id: str
    prompt: str
    answers: tuple[str, ...]
    case_sensitive: bool = False

    def correct(self, response: str) -> bool:
        if self.case_sensitive:
            return any(a in response for a in self.answers)
        folded = response.casefold()
        return any(a.casefold() in folded for a in self.answers)


@dataclass(frozen=True)
class GeneralScore:
    """How many items a model got right, and its answers for inspection."""

    correct: int
    total: int
    answers: tuple[tuple[str, str, bool], ...]

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def load_general_items() -> list[GeneralItem]:
    text = resources.files("demur.train").joinpath("data", "general.jsonl").read_text("utf-8")
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                items.append(GeneralItem.model_validate(json.loads(line)))
            except ValueError as exc:
                raise ValueError(f"demur/train/data/general.jsonl:{number}: {exc}") from exc
    return items


async def score_general(
    backend: Backend, items: Sequence[GeneralItem] | None = None, max_tokens: int = 48
) -> GeneralScore:
    """Ask every item (greedy, no system prompt) and count contained right answers."""
    chosen = list(items) if items is not None else load_general_items()
    config = GenerateConfig(max_tokens=max_tokens)
    semaphore = asyncio.Semaphore(backend.max_concurrency)

    async def one(item: GeneralItem) -> tuple[str, str, bool]:
        async with semaphore:
            outcome = await with_retries(
                lambda: backend.generate([Message(role="user", content=item.prompt)], config),
                RetryPolicy(max_retries=1),
            )
        text = outcome.value.text if outcome.value is not None else ""
        return item.id, text, item.correct(text)

    answers = await asyncio.gather(*(one(item) for item in chosen))
    return GeneralScore(sum(ok for _, _, ok in answers), len(chosen), tuple(answers))
