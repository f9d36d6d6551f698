"""Counts that describe a suite: per category, subcategory, language and expected behaviour."""

from __future__ import annotations

from collections import Counter

from pydantic import BaseModel, ConfigDict

from demur.suites.model import Suite


class SubcategoryCount(BaseModel):
    """Prompts of one (category, subcategory), split by expected behaviour and language."""

    model_config = ConfigDict(frozen=True)

    category: str
    subcategory: str
    total: int
    comply: int
    noncomply: int
    languages: dict[str, int]


class SuiteSummary(BaseModel):
    """What `demur suites` shows for one suite; `rows` are in first-seen order."""

    model_config = ConfigDict(frozen=True)

    name: str
    source: str
    prompts: int
    categories: dict[str, int]
    subcategories: dict[str, int]
    languages: dict[str, int]
    expected: dict[str, int]
    pairs: int
    rows: tuple[SubcategoryCount, ...]


def summarise(suite: Suite) -> SuiteSummary:
    """Counts of a suite's prompts; `subcategories` keys are "category/subcategory"."""
    groups: dict[tuple[str, str], list[int]] = {}
    languages: dict[tuple[str, str], Counter[str]] = {}
    for prompt in suite.prompts:
        key = (prompt.category, prompt.subcategory)
        counts = groups.setdefault(key, [0, 0])
        counts[0 if prompt.expected == "comply" else 1] += 1
        languages.setdefault(key, Counter())[prompt.language] += 1
    rows = tuple(
        SubcategoryCount(
            category=category,
            subcategory=subcategory,
            total=comply + noncomply,
            comply=comply,
            noncomply=noncomply,
            languages=dict(languages[(category, subcategory)]),
        )
        for (category, subcategory), (comply, noncomply) in groups.items()
    )
    return SuiteSummary(
        name=suite.name,
        source=suite.source,
        prompts=len(suite),
        categories=suite.counts("category"),
        subcategories={f"{r.category}/{r.subcategory}": r.total for r in rows},
        languages=suite.counts("language"),
        expected={str(k): v for k, v in suite.counts("expected").items()},
        pairs=len({p.pair_id for p in suite.prompts if p.pair_id}),
        rows=rows,
    )
