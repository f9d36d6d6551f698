"""Any CSV, JSONL or Parquet file of prompts, with a column mapping.

Spec: `table:PATH?text=question&category=cat&default_expected=comply`. Each Prompt field names
the column it comes from (by default a column of the field's own name; the text also falls
back to prompt, question, goal or instruction). A `default_FIELD` value is used where the column
is absent or a cell is empty. Without any category, prompts are filed under
unsafe/dangerous_topics, expected noncomply, language en: the usual shape of a harmful-prompt
list. Categories may be given by taxonomy id or name. Other columns are kept in metadata.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from demur.suites.errors import SuiteFormatError
from demur.suites.loaders.build import SuiteBuilder
from demur.suites.loaders.labels import LabelMatcher, expected_words, parse_expected
from demur.suites.loaders.rows import Row, Table, read_table
from demur.suites.model import Suite

TEXT_FALLBACKS = ("text", "prompt", "question", "goal", "Goal", "instruction")
FIELDS = ("id", "text", "category", "subcategory", "expected", "language", "pair_id")


@dataclass(frozen=True)
class ColumnMap:
    """Which column feeds each Prompt field (None: no column) and the fallback values."""

    columns: dict[str, str | None]
    defaults: dict[str, str]

    def value(self, row: Row, field: str) -> str:
        column = self.columns[field]
        cell = row.get(column) if column else ""
        return cell or self.defaults.get(field, "")


def load_table(
    path: Path,
    format: str | None = None,
    name: str | None = None,
    text: str | None = None,
    id: str | None = None,
    category: str | None = None,
    subcategory: str | None = None,
    expected: str | None = None,
    language: str | None = None,
    pair_id: str | None = None,
    default_category: str | None = None,
    default_subcategory: str | None = None,
    default_expected: str | None = None,
    default_language: str | None = None,
) -> Suite:
    """A table of prompts as a suite; field options name columns, default_ options give values."""
    table = read_table(path, format)
    given = {
        "id": id,
        "text": text,
        "category": category,
        "subcategory": subcategory,
        "expected": expected,
        "language": language,
        "pair_id": pair_id,
    }
    defaults = {
        "category": default_category or "",
        "subcategory": default_subcategory or "",
        "expected": default_expected or "noncomply",
        "language": default_language or "en",
    }
    columns = _map_columns(table, given)
    if not columns["category"] and not defaults["category"]:
        defaults["category"] = "unsafe"
        defaults["subcategory"] = defaults["subcategory"] or "dangerous_topics"
    mapping = ColumnMap(columns, defaults)
    matcher = LabelMatcher.build()
    builder = SuiteBuilder(name=name or path.stem, source=str(path))
    used = {c for c in columns.values() if c}
    for number, row in enumerate(table.rows, start=1):
        category_name = mapping.value(row, "category")
        subcategory_name = mapping.value(row, "subcategory")
        if not category_name or not subcategory_name:
            raise builder.fail(
                row.line,
                "no category or subcategory for this row; map columns with category= and "
                "subcategory=, or give default_category= and default_subcategory=",
            )
        match = matcher.match(category_name, subcategory_name)
        if match.category is None or match.subcategory is None:
            raise builder.fail(row.line, match.problem)
        behaviour = parse_expected(mapping.value(row, "expected"))
        if behaviour is None:
            raise builder.fail(
                row.line,
                f"expected value {mapping.value(row, 'expected')!r} is not one of: "
                f"{expected_words()}",
            )
        builder.add(
            row.line,
            id=mapping.value(row, "id") or f"{path.stem}-{number}",
            text=mapping.value(row, "text"),
            category=match.category,
            subcategory=match.subcategory,
            expected=behaviour,
            language=mapping.value(row, "language"),
            pair_id=mapping.value(row, "pair_id") or None,
            metadata={k: v for k, v in row.values.items() if k not in used},
        )
    return builder.build()


def _map_columns(table: Table, given: dict[str, str | None]) -> dict[str, str | None]:
    """Column per field: named ones must exist; unnamed ones are used when present."""
    columns: dict[str, str | None] = {}
    for field in FIELDS:
        named = given[field]
        if named is not None:
            if named not in table.columns:
                raise SuiteFormatError(
                    table.source,
                    None,
                    f"{field}={named!r} names no column; the file has: {', '.join(table.columns)}",
                )
            columns[field] = named
            continue
        candidates = TEXT_FALLBACKS if field == "text" else (field,)
        columns[field] = next((c for c in candidates if c in table.columns), None)
    if columns["text"] is None:
        raise SuiteFormatError(
            table.source,
            None,
            f"no prompt column (looked for {', '.join(TEXT_FALLBACKS)}); name it with text=COLUMN; "
            f"the file has: {', '.join(table.columns)}",
        )
    return columns
