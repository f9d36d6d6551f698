"""Writing every report format of one or more runs."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from demur.metrics.bootstrap import RESAMPLES
from demur.report.data import EXTRA_SECTIONS, ReportData, gather
from demur.report.html import render_html
from demur.report.markdown import render_markdown
from demur.store.sqlite import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportPaths:
    """Where the three formats of a report were written."""

    html: Path
    markdown: Path
    json: Path


def write_report_data(data: ReportData, out_dir: Path) -> ReportPaths:
    """Render gathered report data as report.html, report.md and report.json in `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = ReportPaths(out_dir / "report.html", out_dir / "report.md", out_dir / "report.json")
    # Sections without results stay out, so a plain run's JSON keeps its shape.
    empty = {name for name in EXTRA_SECTIONS if not getattr(data, name)}
    paths.json.write_text(data.model_dump_json(indent=1, exclude=empty), "utf-8")
    paths.markdown.write_text(render_markdown(data), "utf-8")
    paths.html.write_text(render_html(data), "utf-8")
    log.info("report of %d runs written to %s", len(data.runs), out_dir)
    return paths


def write_reports(
    store: Store,
    run_ids: list[str],
    out_dir: Path,
    judge: str | None = None,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
    sweeps: Sequence[Path] = (),
) -> ReportPaths:
    """Compute the runs' metrics (with `judge`'s verdicts, or each run's newest judge's) and
    write the HTML, Markdown and JSON reports; with several runs, they are compared.

    The runs' models' calibration sweeps (RESULTS/sweeps/, plus the files in `sweeps`),
    dialogue and reasoning-consistency results join the report when there are any."""
    data = gather(store, run_ids, judge, seed=seed, resamples=resamples, sweeps=sweeps)
    return write_report_data(data, out_dir)
