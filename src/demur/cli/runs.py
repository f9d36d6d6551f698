"""`demur runs` and `demur export`: what the store holds, and getting it out."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from demur.cli.app import app, console, fail
from demur.cli.shared import RESULTS_OPTION
from demur.registry import MissingExtraError
from demur.store.export import export_run
from demur.store.sqlite import Store, StoreError, store_path


def open_store(results: Path) -> Store:
    path = store_path(results)
    if not path.is_file():
        raise fail(f"no results store at {path}: run `demur run` first, or pass --results")
    return Store(path)


@app.command()
def runs(
    results: Path = RESULTS_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the runs in a results store with their completion and error counts."""
    with open_store(results) as store:
        listing = []
        for record in store.runs():
            rows = store.results(record.run_id)
            states = Counter(
                "missing" if r.completion is None else "error" if r.completion.error else "done"
                for r in rows
            )
            listing.append(
                {
                    "run_id": record.run_id,
                    "model": record.model,
                    "suite": record.suite,
                    "created_at": record.created_at,
                    "items": len(rows),
                    **{k: states.get(k, 0) for k in ("done", "error", "missing")},
                    "judges": [f"{j} {v}" for j, v in store.judges(record.run_id)],
                }
            )
    if as_json:
        typer.echo(json.dumps(listing, indent=2))
        return
    table = Table("run", "model", "suite", "items", "done", "errors", "missing", "judges")
    for r in listing:
        table.add_row(
            str(r["run_id"]), str(r["model"]), str(r["suite"]), str(r["items"]), str(r["done"]),
            str(r["error"]), str(r["missing"]), ", ".join(r["judges"]),  # type: ignore[arg-type]
        )  # fmt: skip
    console.print(table)


@app.command()
def export(
    run_id: str | None = typer.Argument(None, help="Run id or prefix (default: the latest run)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .jsonl or .parquet."),
    results: Path = RESULTS_OPTION,
    judge: str | None = typer.Option(None, help="Whose verdicts to include (default: newest)."),
) -> None:
    """Export a run's prompts, completions and verdicts."""
    with open_store(results) as store:
        try:
            run = store.run(run_id) if run_id else store.latest_run()
            count = export_run(store, run.run_id, out, judge=judge)
        except (StoreError, MissingExtraError) as exc:
            raise fail(str(exc)) from exc
    console.print(f"wrote {count} items of run {run.run_id} to {out}")
