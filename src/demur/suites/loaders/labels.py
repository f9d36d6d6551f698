"""Matching the category names of other benchmarks onto demur's taxonomy ids.

A name matches a category or subcategory by its id or its display name, ignoring case, spaces,
hyphens and underscores; loaders add aliases for names a source spells its own way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from demur.suites.model import Expected
from demur.taxonomy import Taxonomy, load_taxonomy

_EXPECTED_ALIASES: dict[str, Expected] = {
    "comply": Expected.COMPLY,
    "compliance": Expected.COMPLY,
    "safe": Expected.COMPLY,
    "benign": Expected.COMPLY,
    "contrast": Expected.COMPLY,
    "noncomply": Expected.NONCOMPLY,
    "noncompliance": Expected.NONCOMPLY,
    "refuse": Expected.NONCOMPLY,
    "unsafe": Expected.NONCOMPLY,
    "harmful": Expected.NONCOMPLY,
    "eval": Expected.NONCOMPLY,
}


def key(name: str) -> str:
    """A name folded for matching: lower case, runs of spaces, '-' and '_' as one space."""
    return re.sub(r"[\s_\-]+", " ", name.strip().casefold())


def parse_expected(value: str) -> Expected | None:
    """comply or noncomply from the words sources use for them; None when unrecognised."""
    return _EXPECTED_ALIASES.get(key(value).replace(" ", ""))


def expected_words() -> str:
    """The accepted spellings, for error messages."""
    return ", ".join(sorted(_EXPECTED_ALIASES))


@dataclass(frozen=True)
class LabelMatch:
    """A (category id, subcategory id) found for a source's names, or why none was."""

    category: str | None
    subcategory: str | None
    problem: str = ""


@dataclass(frozen=True)
class LabelMatcher:
    """Finds taxonomy ids for category and subcategory names, with per-source aliases."""

    taxonomy: Taxonomy
    category_aliases: Mapping[str, str]
    subcategory_aliases: Mapping[tuple[str, str], tuple[str, str]]

    @classmethod
    def build(
        cls,
        category_aliases: Mapping[str, str] | None = None,
        subcategory_aliases: Mapping[tuple[str, str], tuple[str, str]] | None = None,
        taxonomy: Taxonomy | None = None,
    ) -> LabelMatcher:
        """`subcategory_aliases` maps (source category, source subcategory) to taxonomy ids."""
        return cls(
            taxonomy=taxonomy or load_taxonomy(),
            category_aliases={key(k): v for k, v in (category_aliases or {}).items()},
            subcategory_aliases={
                (key(c), key(s)): v for (c, s), v in (subcategory_aliases or {}).items()
            },
        )

    def category(self, name: str) -> str | None:
        """The category id for a source's category name, or None."""
        folded = key(name)
        if folded in self.category_aliases:
            return self.category_aliases[folded]
        for category in self.taxonomy.categories:
            if folded in (key(category.id), key(category.name)):
                return category.id
        return None

    def match(self, category_name: str, subcategory_name: str) -> LabelMatch:
        """Both ids for a row; the problem names the known values when something is unknown."""
        alias = self.subcategory_aliases.get((key(category_name), key(subcategory_name)))
        if alias is not None:
            return LabelMatch(*alias)
        category_id = self.category(category_name)
        if category_id is None:
            known = ", ".join(f"{c.id} ({c.name})" for c in self.taxonomy.categories)
            return LabelMatch(None, None, f"unknown category {category_name!r}; known: {known}")
        folded = key(subcategory_name)
        category = self.taxonomy.category(category_id)
        for sub in category.subcategories:
            if folded in (key(sub.id), key(sub.name)):
                return LabelMatch(category_id, sub.id)
        known = ", ".join(f"{s.id} ({s.name})" for s in category.subcategories)
        return LabelMatch(
            category_id,
            None,
            f"unknown subcategory {subcategory_name!r} in {category_id!r}; known: {known}",
        )
