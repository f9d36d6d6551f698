"""Prompt and Suite: the inputs of a run."""

from __future__ import annotations

from collections import Counter
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Expected(StrEnum):
    """What a good model does with a prompt."""

    COMPLY = "comply"
    NONCOMPLY = "noncomply"


class Prompt(BaseModel):
    """One request to put to a model, with the labels metrics group by."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable id, unique within its suite.")
    text: str = Field(description="The user's message.")
    category: str = Field(description="Taxonomy category id (see demur.taxonomy).")
    subcategory: str = Field(description="Taxonomy subcategory id within the category.")
    expected: Expected = Field(description="comply for contrast prompts, noncomply otherwise.")
    language: str = Field(default="en", description="ISO 639-1 code of the prompt's language.")
    pair_id: str | None = Field(
        default=None,
        description="Shared by prompts that mirror each other (or one item across languages).",
    )
    suite: str = Field(default="", description="Name of the suite the prompt came from.")
    metadata: dict[str, str] = Field(default_factory=dict, description="Free-form source fields.")


class Suite(BaseModel):
    """A named, ordered set of prompts."""

    model_config = ConfigDict(frozen=True)

    name: str
    prompts: tuple[Prompt, ...]
    source: str = Field(default="", description="Where the prompts were read from.")

    def __len__(self) -> int:
        return len(self.prompts)

    def counts(self, field: str) -> dict[str, int]:
        """How many prompts have each value of a Prompt field (category, language...)."""
        return dict(Counter(str(getattr(p, field)) for p in self.prompts))
