"""The Judge protocol and its input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict

from demur.judges.verdict import Verdict


class JudgeItem(BaseModel):
    """One response to label, with the request that produced it.

    Only `prompt` and `response` are required, so responses produced anywhere can be judged; the
    taxonomy fields help judges that read rubrics per subcategory.
    """

    model_config = ConfigDict(frozen=True)

    prompt: str
    response: str
    language: str | None = None
    category: str | None = None
    subcategory: str | None = None
    expected: str | None = None


@runtime_checkable
class Judge(Protocol):
    """Labels responses. Judges never call the model under test; they read stored text."""

    name: str
    version: str

    def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """One verdict per item, in order. An undecidable item gets Label.UNSCORED."""
        ...
