"""CoCoNot JSONL (Brahman et al. 2024): the eval, contrast and preference files.

The eval file holds should-not-comply prompts; the contrast file and the preference file hold
should-comply look-alikes. Which one a file is comes from `expected=`, else from its content
(preference rows carry chosen/rejected answers), else from its name.
"""

from __future__ import annotations

import logging
from pathlib import Path

from demur.suites.errors import SuiteFormatError
from demur.suites.loaders.build import SuiteBuilder
from demur.suites.loaders.labels import LabelMatcher, expected_words, parse_expected
from demur.suites.loaders.rows import Table, read_table
from demur.suites.model import Expected, Suite

log = logging.getLogger(__name__)

# CoCoNot names that do not match a taxonomy id or name once case and spacing are folded.
SUBCATEGORY_ALIASES: dict[tuple[str, str], tuple[str, str]] = {
    ("humanizing requests", "offer advice, opinion or recommendations"): (
        "humanizing",
        "advice_opinion",
    ),
    # The contrast set files modality look-alikes under one subcategory. Most ask for a text
    # description of something seen, heard or tasted, which is what output_modality's
    # noncompliance prompts ask the model to produce in another medium.
    ("unsupported requests", "modality limitations"): ("unsupported", "output_modality"),
    # The preference file's name for misinformation.
    ("requests with safety concerns", "false information"): ("unsafe", "misinformation"),
    # One eval row is filed as safety/incomprehensible; its prompt is mojibake, so it belongs
    # with the incomprehensible requests.
    ("requests with safety concerns", "incomprehensible"): ("incomplete", "incomprehensible"),
}

_MATCHER = LabelMatcher.build(subcategory_aliases=SUBCATEGORY_ALIASES)


def load_coconot(path: Path, expected: str | None = None, name: str | None = None) -> Suite:
    """A CoCoNot JSONL file as a suite; `expected` (comply/contrast or noncomply/eval) overrides
    the detection of which set the file is."""
    table = read_table(path, "jsonl")
    table.require("id", "category", "subcategory", "prompt")
    chosen, coconot_set = _which_set(path, table, expected)
    default_name = "coconot" if chosen is Expected.NONCOMPLY else f"coconot-{coconot_set}"
    builder = SuiteBuilder(name=name or default_name, source=str(path))
    for row in table.rows:
        match = _MATCHER.match(row.get("category"), row.get("subcategory"))
        if match.category is None or match.subcategory is None:
            raise builder.fail(row.line, match.problem)
        metadata = {
            "source": "coconot",
            "coconot_set": coconot_set,
            "source_id": row.get("id"),
            "source_category": row.get("category"),
            "source_subcategory": row.get("subcategory"),
            "chosen_model": row.get("chosen_model"),
            "rejected_model": row.get("rejected_model"),
        }
        builder.add(
            row.line,
            id=row.get("id"),
            text=row.get("prompt"),
            category=match.category,
            subcategory=match.subcategory,
            expected=chosen,
            metadata=metadata,
        )
    return builder.build()


def _which_set(path: Path, table: Table, explicit: str | None) -> tuple[Expected, str]:
    """(expected behaviour, set name) for the file."""
    if explicit is not None:
        chosen = parse_expected(explicit)
        if chosen is None:
            raise SuiteFormatError(
                str(path), None, f"expected={explicit!r} is not one of: {expected_words()}"
            )
        return chosen, "eval" if chosen is Expected.NONCOMPLY else "contrast"
    if "chosen" in table.columns and "rejected" in table.columns:
        return Expected.COMPLY, "pref"
    if "contrast" in path.name.casefold():
        return Expected.COMPLY, "contrast"
    # Only the contrast file uses this merged subcategory name.
    if any(row.get("subcategory").casefold() == "modality limitations" for row in table.rows):
        return Expected.COMPLY, "contrast"
    log.info("%s: read as CoCoNot's eval set (should not comply); pass expected= to override", path)
    return Expected.NONCOMPLY, "eval"
