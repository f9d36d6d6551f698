"""Frozen models of the taxonomy and the loader for its YAML file."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError


class Subcategory(BaseModel):
    """One kind of request within a category, with what a good response does."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    description: str
    good_response: str
    form: str


class Category(BaseModel):
    """A top-level class of requests a good model should not simply comply with."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    description: str
    subcategories: tuple[Subcategory, ...]


class Taxonomy(BaseModel):
    """The whole taxonomy; look-ups by id raise KeyError naming the known ids."""

    model_config = ConfigDict(frozen=True)

    version: int
    categories: tuple[Category, ...]

    def category(self, category_id: str) -> Category:
        for category in self.categories:
            if category.id == category_id:
                return category
        known = ", ".join(c.id for c in self.categories)
        raise KeyError(f"unknown category {category_id!r}; known: {known}")

    def subcategory(self, category_id: str, subcategory_id: str) -> Subcategory:
        category = self.category(category_id)
        for sub in category.subcategories:
            if sub.id == subcategory_id:
                return sub
        known = ", ".join(s.id for s in category.subcategories)
        raise KeyError(f"unknown subcategory {subcategory_id!r} in {category_id!r}; known: {known}")

    def knows(self, category_id: str, subcategory_id: str) -> bool:
        try:
            self.subcategory(category_id, subcategory_id)
        except KeyError:
            return False
        return True

    def pairs(self) -> list[tuple[str, str]]:
        """Every (category id, subcategory id) pair, in file order."""
        return [(c.id, s.id) for c in self.categories for s in c.subcategories]


def _parse(text: str, source: str) -> Taxonomy:
    try:
        data = yaml.safe_load(text)
        return Taxonomy.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{source}: not a valid taxonomy: {exc}") from exc


@cache
def _builtin() -> Taxonomy:
    text = resources.files("demur.taxonomy").joinpath("taxonomy.yaml").read_text("utf-8")
    return _parse(text, "demur/taxonomy/taxonomy.yaml")


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The built-in taxonomy, or a user's YAML file in the same shape."""
    if path is None:
        return _builtin()
    path = Path(path)
    return _parse(path.read_text("utf-8"), str(path))
