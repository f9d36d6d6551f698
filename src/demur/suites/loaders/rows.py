"""Reading CSV, JSONL and Parquet files into numbered rows of strings.

Every loader goes through here so that a bad byte, a ragged CSV record or a line that is not a
JSON object is reported the same way: file, line (or row) and what to do.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from demur.suites.errors import SuiteFormatError

FORMATS = ("csv", "jsonl", "parquet")


@dataclass(frozen=True)
class Row:
    """One record of a table; `line` is the file line (CSV, JSONL) or 1-based row (Parquet)."""

    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        """The cell's text, or "" where the column is absent or empty."""
        return self.values.get(column, "")


@dataclass(frozen=True)
class Table:
    """All rows of a file and the columns it has."""

    source: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def require(self, *columns: str) -> None:
        """Raise, naming the file, when any of these columns is missing."""
        missing = [c for c in columns if c not in self.columns]
        if missing:
            raise SuiteFormatError(
                self.source,
                None,
                f"missing column(s) {', '.join(missing)}; the file has: {', '.join(self.columns)}",
            )


def detect_format(path: Path, explicit: str | None = None) -> str:
    """The table format, from `explicit` or the file's suffix."""
    chosen = (explicit or path.suffix.lstrip(".")).lower()
    aliases = {"tsv": "csv", "ndjson": "jsonl", "json": "jsonl", "pq": "parquet"}
    chosen = aliases.get(chosen, chosen)
    if chosen not in FORMATS:
        raise SuiteFormatError(
            str(path),
            None,
            f"cannot tell the table format from {path.name!r}; "
            f"name it .csv, .jsonl or .parquet or pass format= one of {', '.join(FORMATS)}",
        )
    return chosen


def read_table(path: Path, fmt: str | None = None) -> Table:
    """Every row of a CSV, JSONL or Parquet file, cells as stripped strings."""
    chosen = detect_format(path, fmt)
    if chosen == "parquet":
        return _read_parquet(path)
    text = _decode(path)
    if chosen == "jsonl":
        return _parse_jsonl(text, str(path))
    return _parse_csv(text, str(path), delimiter="\t" if path.suffix.lower() == ".tsv" else ",")


def _decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SuiteFormatError(
            str(path), line, f"not UTF-8 (byte {data[exc.start]:#04x}); re-save the file as UTF-8"
        ) from exc


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool | int | float):
        return str(value)
    # Nested values (lists, objects) stay readable in metadata as JSON.
    return json.dumps(value, ensure_ascii=False)


def _parse_jsonl(text: str, source: str) -> Table:
    rows: list[Row] = []
    columns: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SuiteFormatError(source, number, f"not JSON ({exc.msg})") from exc
        if not isinstance(data, dict):
            raise SuiteFormatError(source, number, "expected a JSON object on every line")
        values = {str(k): _cell(v) for k, v in data.items()}
        columns.update(dict.fromkeys(values))
        rows.append(Row(number, values))
    return _finish(source, tuple(columns), rows)


def _parse_csv(text: str, source: str, delimiter: str) -> Table:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise SuiteFormatError(source, None, "the file is empty") from None
    except csv.Error as exc:
        raise SuiteFormatError(source, 1, f"bad CSV header ({exc})") from exc
    columns = tuple(h.strip() for h in header)
    _check_header(source, columns)
    rows: list[Row] = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise SuiteFormatError(source, reader.line_num, f"bad CSV ({exc})") from exc
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(columns):
            raise SuiteFormatError(
                source,
                reader.line_num,
                f"{len(record)} fields where the header has {len(columns)}; "
                "quote cells that contain the delimiter",
            )
        rows.append(
            Row(reader.line_num, {c: v.strip() for c, v in zip(columns, record, strict=True)})
        )
    return _finish(source, columns, rows)


def _read_parquet(path: Path) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise SuiteFormatError(
            str(path), None, 'reading Parquet needs pyarrow: pip install "demur[parquet]"'
        ) from exc
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a bad file
        raise SuiteFormatError(str(path), None, f"not a readable Parquet file ({exc})") from exc
    columns = tuple(str(name) for name in table.column_names)
    _check_header(str(path), columns)
    rows = [
        Row(number, {c: _cell(record.get(c)) for c in columns})
        for number, record in enumerate(table.to_pylist(), start=1)
    ]
    return _finish(str(path), columns, rows)


def _check_header(source: str, columns: Sequence[str]) -> None:
    seen: set[str] = set()
    for column in columns:
        if not column:
            raise SuiteFormatError(source, 1, "a column has no name")
        if column in seen:
            raise SuiteFormatError(source, 1, f"column {column!r} appears twice")
        seen.add(column)


def _finish(source: str, columns: tuple[str, ...], rows: list[Row]) -> Table:
    if not rows:
        raise SuiteFormatError(source, None, "the file holds no rows")
    return Table(source=source, columns=columns, rows=tuple(rows))
