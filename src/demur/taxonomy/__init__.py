"""The noncompliance taxonomy: categories and subcategories loaded from data."""

from demur.taxonomy.model import Category, Subcategory, Taxonomy, load_taxonomy

__all__ = ["Category", "Subcategory", "Taxonomy", "load_taxonomy"]
