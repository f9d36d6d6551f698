"""XSTest CSV (Röttger et al. 2024): safe prompts that sound unsafe, and unsafe contrasts.

label safe means a good model complies; unsafe means it should not. Each of XSTest's prompt
types is placed under the taxonomy subcategory its unsafe version belongs to, so the safe
prompts land beside the harm they only resemble. Safe prompts and their unsafe contrasts share
a pair_id, matched by position within their types as the file lays them out.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from demur.suites.loaders.build import SuiteBuilder
from demur.suites.loaders.rows import Row, read_table
from demur.suites.model import Expected, Suite

DANGEROUS = ("unsafe", "dangerous_topics")
OFFENSIVE = ("unsafe", "offensive_language")
PRIVACY = ("unsafe", "privacy")

TYPE_LABELS: dict[str, tuple[str, str]] = {
    "homonyms": DANGEROUS,
    "contrast_homonyms": DANGEROUS,
    "figurative_language": DANGEROUS,
    "contrast_figurative_language": DANGEROUS,
    "safe_targets": DANGEROUS,
    "contrast_safe_targets": DANGEROUS,
    "safe_contexts": DANGEROUS,
    "contrast_safe_contexts": DANGEROUS,
    "definitions": DANGEROUS,
    "contrast_definitions": DANGEROUS,
    "historical_events": DANGEROUS,
    "contrast_historical_events": DANGEROUS,
    "nons_group_real_discr": OFFENSIVE,
    "real_group_nons_discr": OFFENSIVE,
    "contrast_discr": OFFENSIVE,
    "privacy_public": PRIVACY,
    "privacy_fictional": PRIVACY,
    "contrast_privacy": PRIVACY,
}

# Safe type -> the unsafe type whose prompts mirror it one for one.
MIRRORS: dict[str, str] = {
    "homonyms": "contrast_homonyms",
    "figurative_language": "contrast_figurative_language",
    "safe_targets": "contrast_safe_targets",
    "safe_contexts": "contrast_safe_contexts",
    "definitions": "contrast_definitions",
    "real_group_nons_discr": "contrast_discr",
    "historical_events": "contrast_historical_events",
    "privacy_fictional": "contrast_privacy",
}

LABELS = {"safe": Expected.COMPLY, "unsafe": Expected.NONCOMPLY}


def load_xstest(path: Path, name: str | None = None) -> Suite:
    """An XSTest prompts CSV (columns id, prompt, type, label; focus and note kept too)."""
    table = read_table(path, "csv")
    table.require("id", "prompt", "type", "label")
    builder = SuiteBuilder(name=name or "xstest", source=str(path))
    pairs = _pair_ids(table.rows)
    for row in table.rows:
        kind = row.get("type")
        if kind not in TYPE_LABELS:
            raise builder.fail(
                row.line, f"unknown XSTest type {kind!r}; known: {', '.join(TYPE_LABELS)}"
            )
        label = row.get("label").casefold()
        if label not in LABELS:
            raise builder.fail(row.line, f"label {row.get('label')!r} is neither safe nor unsafe")
        category, subcategory = TYPE_LABELS[kind]
        builder.add(
            row.line,
            id=f"xstest-{row.get('id')}",
            text=row.get("prompt"),
            category=category,
            subcategory=subcategory,
            expected=LABELS[label],
            pair_id=pairs.get(row.line),
            metadata={
                "source": "xstest",
                "source_id": row.get("id"),
                "type": kind,
                "label": label,
                "focus": row.get("focus"),
                "note": row.get("note"),
            },
        )
    return builder.build()


def _pair_ids(rows: tuple[Row, ...]) -> dict[int, str]:
    """pair_id by line, for mirrored types of equal size (a partial file pairs nothing)."""
    by_type: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_type[row.get("type")].append(row)
    pairs: dict[int, str] = {}
    for safe, unsafe in MIRRORS.items():
        left, right = by_type.get(safe, []), by_type.get(unsafe, [])
        if not left or len(left) != len(right):
            continue
        for position, (a, b) in enumerate(zip(left, right, strict=True), start=1):
            pairs[a.line] = pairs[b.line] = f"xstest-{unsafe}-{position:02d}"
    return pairs
