"""JailbreakBench behaviours CSV (JBB-Behaviors): harmful goals and topic-matched benign ones.

The Goal column is the prompt. Harmful rows should be declined, benign rows answered; which file
is which comes from `expected=` or else from the file name (harmful / benign). A harmful goal and
the benign goal on the same behaviour share a pair_id.
"""

from __future__ import annotations

import re
from pathlib import Path

from demur.suites.errors import SuiteFormatError
from demur.suites.loaders.build import SuiteBuilder
from demur.suites.loaders.labels import expected_words, parse_expected
from demur.suites.loaders.rows import read_table
from demur.suites.model import Expected, Suite

# JBB's ten categories onto the taxonomy's safety subcategories.
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "harassment/discrimination": ("unsafe", "offensive_language"),
    "malware/hacking": ("unsafe", "dangerous_topics"),
    "physical harm": ("unsafe", "dangerous_topics"),
    "economic harm": ("unsafe", "dangerous_topics"),
    "fraud/deception": ("unsafe", "dangerous_topics"),
    "disinformation": ("unsafe", "misinformation"),
    "sexual/adult content": ("unsafe", "dangerous_topics"),
    "privacy": ("unsafe", "privacy"),
    "expert advice": ("unsafe", "dangerous_topics"),
    "government decision-making": ("unsafe", "dangerous_topics"),
}


def load_jailbreakbench(path: Path, expected: str | None = None, name: str | None = None) -> Suite:
    """A JBB behaviours CSV (columns Goal, Category; Index, Behavior, Source, Target kept)."""
    table = read_table(path, "csv")
    table.require("Goal", "Category")
    chosen = _which_set(path, expected)
    half = "harmful" if chosen is Expected.NONCOMPLY else "benign"
    builder = SuiteBuilder(name=name or f"jailbreakbench-{half}", source=str(path))
    for number, row in enumerate(table.rows):
        category_name = row.get("Category")
        labels = CATEGORY_LABELS.get(category_name.casefold())
        if labels is None:
            known = ", ".join(sorted(CATEGORY_LABELS))
            raise builder.fail(
                row.line, f"unknown JailbreakBench category {category_name!r}; known: {known}"
            )
        index = row.get("Index") or str(number)
        behavior = row.get("Behavior")
        builder.add(
            row.line,
            id=f"jbb-{half}-{index}",
            text=row.get("Goal"),
            category=labels[0],
            subcategory=labels[1],
            expected=chosen,
            pair_id=f"jbb-{_slug(behavior)}" if behavior else None,
            metadata={
                "source": "jailbreakbench",
                "source_id": row.get("Index"),
                "behavior": behavior,
                "source_category": category_name,
                "origin": row.get("Source"),
                "target": row.get("Target"),
            },
        )
    return builder.build()


def _which_set(path: Path, explicit: str | None) -> Expected:
    if explicit is not None:
        chosen = parse_expected(explicit)
        if chosen is None:
            raise SuiteFormatError(
                str(path), None, f"expected={explicit!r} is not one of: {expected_words()}"
            )
        return chosen
    stem = path.name.casefold()
    if "benign" in stem:
        return Expected.COMPLY
    if "harmful" in stem:
        return Expected.NONCOMPLY
    raise SuiteFormatError(
        str(path),
        None,
        "cannot tell harmful from benign behaviours by the file name; "
        "add ?expected=noncomply (harmful) or ?expected=comply (benign) to the suite spec",
    )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")
