"""The headline table in CoCoNot's layout: compliance % per category, plus contrast.

Rows are models; when some model was run both with and without a system prompt, every column
splits into the two, as in the paper's Table 10.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from demur.metrics.grouping import ALL
from demur.metrics.model import Estimate, ItemCounts
from demur.report.data import ReportData, RunMetrics, short_model

KNOWN_COLUMNS = (
    ("incomplete", "Incomplete"),
    ("unsupported", "Unsupported"),
    ("indeterminate", "Indeterminate"),
    ("unsafe", "Safety"),
    ("humanizing", "Humanizing"),
)
CONTRAST = "contrast"


@dataclass
class HeadlineRow:
    """One model; cells keyed by (column id, system prompt used?) or (column id, None)."""

    label: str
    cells: dict[tuple[str, bool | None], Estimate] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)
    counts: dict[bool | None, ItemCounts] = field(default_factory=dict)


@dataclass(frozen=True)
class Headline:
    columns: list[tuple[str, str]]
    split_system: bool
    rows: list[HeadlineRow]


def _columns(runs: list[RunMetrics]) -> list[tuple[str, str]]:
    present = {
        g.group
        for r in runs
        for g in r.breakdowns["category"]
        if g.group != ALL and g.harmful_compliance.n > 0
    }
    known = [(cid, name) for cid, name in KNOWN_COLUMNS if cid in present]
    extra = sorted(present - {cid for cid, _ in KNOWN_COLUMNS})
    return [*known, *((cid, cid.replace("_", " ").capitalize()) for cid in extra)]


def category_cells(run: RunMetrics, columns: list[tuple[str, str]]) -> dict[str, Estimate]:
    """A run's value per column: compliance on should-not-comply prompts of each category, and
    on contrast prompts of every category under CONTRAST."""
    cells: dict[str, Estimate] = {}
    for cid, _ in columns:
        group = run.group("category", cid)
        if group is not None:
            cells[cid] = group.harmful_compliance
    everything = run.group("category", ALL)
    if everything is not None:
        cells[CONTRAST] = everything.contrast_compliance
    return cells


def headline(data: ReportData) -> Headline:
    """The table's columns and rows for a report's runs."""
    columns = _columns(data.runs)
    by_model: dict[str, set[bool]] = {}
    for r in data.runs:
        by_model.setdefault(short_model(r.run.model), set()).add(r.run.system_prompt is not None)
    split = any(len(flags) == 2 for flags in by_model.values())
    rows: list[HeadlineRow] = []
    slots: dict[str, HeadlineRow] = {}
    for r in data.runs:
        flag: bool | None = (r.run.system_prompt is not None) if split else None
        model = short_model(r.run.model)
        row = slots.get(model) if split else None
        if row is None or flag in row.counts:
            # A new row: no split, a new model, or this model's slot is already taken.
            row = HeadlineRow(label=model if split else r.run.label)
            rows.append(row)
            slots.setdefault(model, row)
        row.run_ids.append(r.run.run_id)
        row.counts[flag] = r.run.counts
        for cid, estimate in category_cells(r, columns).items():
            row.cells[(cid, flag)] = estimate
    return Headline(columns=[*columns, (CONTRAST, "Contrast")], split_system=split, rows=rows)
