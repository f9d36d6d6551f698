"""`demur compare`: one report across several runs, with differences and their intervals."""

from __future__ import annotations

from pathlib import Path

import typer

from demur.cli.app import app, console, fail
from demur.cli.shared import RESULTS_OPTION
from demur.report import write_reports
from demur.store.sqlite import Store, StoreError, store_path


@app.command()
def compare(
    run_ids: list[str] = typer.Argument(
        ..., help="Two or more run ids or prefixes; the first is the baseline."
    ),
    results: Path = RESULTS_OPTION,
    judge: str | None = typer.Option(
        None, help="Whose verdicts to compare (default: each run's newest judge)."
    ),
    out: Path | None = typer.Option(
        None, help="Output directory (default: RESULTS/reports/compare-RUNS)."
    ),
    seed: int = typer.Option(0, help="Seed of the bootstrap intervals."),
) -> None:
    """Compare runs: per-group differences with bootstrap intervals, in HTML, Markdown, JSON."""
    if len(run_ids) < 2:
        raise fail("compare needs two or more runs (see `demur runs` for their ids)")
    path = store_path(results)
    if not path.is_file():
        raise fail(f"no results store at {path}: run `demur run` first, or pass --results")
    with Store(path) as store:
        try:
            runs = [store.run(r).run_id for r in run_ids]
        except StoreError as exc:
            raise fail(str(exc)) from exc
        if len(set(runs)) < len(runs):
            raise fail("the same run is named twice: pass different runs")
        target = out or results / "reports" / ("compare-" + "-".join(r[:8] for r in runs))
        paths = write_reports(store, runs, target, judge=judge, seed=seed)
    console.print(f"report: {paths.html}\n        {paths.markdown}\n        {paths.json}")
