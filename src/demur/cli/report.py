"""`demur report`: write a stored run's report again, without touching the model."""

from __future__ import annotations

from pathlib import Path

import typer

from demur.cli.app import app, console, fail
from demur.cli.shared import RESULTS_OPTION
from demur.report import write_reports
from demur.report.sweeps import SweepError
from demur.store.sqlite import Store, StoreError, store_path


@app.command()
def report(
    run_ids: list[str] = typer.Argument(
        None, help="Run ids or prefixes (default: the latest run)."
    ),
    results: Path = RESULTS_OPTION,
    judge: str | None = typer.Option(
        None, help="Whose verdicts to report (default: the newest judge)."
    ),
    out: Path | None = typer.Option(None, help="Output directory (default: RESULTS/reports/RUNS)."),
    seed: int = typer.Option(0, help="Seed of the bootstrap intervals."),
    sweep: list[Path] = typer.Option(
        None,
        "--sweep",
        help="A `demur sweep` file to include, whatever its model (repeatable); sweeps in "
        "RESULTS/sweeps/ of the reported models are included anyway.",
    ),
) -> None:
    """Write HTML, Markdown and JSON reports from the store; several runs are compared."""
    path = store_path(results)
    if not path.is_file():
        raise fail(f"no results store at {path}: run `demur run` first, or pass --results")
    with Store(path) as store:
        try:
            runs = (
                [store.run(r).run_id for r in run_ids] if run_ids else [store.latest_run().run_id]
            )
        except StoreError as exc:
            raise fail(str(exc)) from exc
        target = out or results / "reports" / "-".join(r[:8] for r in runs)
        try:
            paths = write_reports(store, runs, target, judge=judge, seed=seed, sweeps=sweep or [])
        except SweepError as exc:
            raise fail(str(exc)) from exc
    console.print(f"report: {paths.html}\n        {paths.markdown}\n        {paths.json}")
