"""`demur run`, `report`, `runs` and `export` on the mock backend, through the real CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demur.cli import app
from demur.store.sqlite import Store, store_path

runner = CliRunner()
TINY = str(Path(__file__).parents[1] / "data" / "tiny_suite.jsonl")  # 8 prompts


def demur(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def completions(results: Path) -> int:
    with sqlite3.connect(store_path(results)) as db:
        return int(db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])


def test_run_judges_and_reports_then_resumes_from_cache(tmp_path: Path) -> None:
    results = tmp_path / "results"
    out = demur(
        "run", "--model", "mock:refuse", "--suite", TINY, "--full", "--results", str(results)
    )
    assert "generated 8, reused 0" in out
    assert completions(results) == 8
    assert "generated 0, reused 8" in demur(
        "run", "--model", "mock:refuse", "--suite", TINY, "--full", "--results", str(results)
    )
    reports = list((results / "reports").glob("*/report.html"))
    assert len(reports) == 1
    with Store(store_path(results)) as store:
        run = store.latest_run()
        rows = store.results(run.run_id)
    assert all(r.verdict is not None and r.verdict.label.value == "refuse" for r in rows)


def test_report_rewrites_from_the_store_without_a_model(tmp_path: Path) -> None:
    results = tmp_path / "results"
    demur(
        "run",
        "--model",
        "mock:comply",
        "--suite",
        TINY,
        "--full",
        "--results",
        str(results),
        "--no-report",
    )
    assert not (results / "reports").exists()
    demur("report", "--results", str(results), "--out", str(tmp_path / "rep"))
    assert (tmp_path / "rep" / "report.html").is_file()
    assert (tmp_path / "rep" / "report.json").is_file()


def test_runs_and_export(tmp_path: Path) -> None:
    results = tmp_path / "results"
    demur(
        "run",
        "--model",
        "mock:comply",
        "--suite",
        TINY,
        "--full",
        "--results",
        str(results),
        "--no-report",
    )
    listing = json.loads(demur("runs", "--results", str(results), "--json"))
    assert listing[0]["done"] == 8 and listing[0]["error"] == 0
    demur("export", "--results", str(results), "--out", str(tmp_path / "x.jsonl"))
    lines = (tmp_path / "x.jsonl").read_text().splitlines()
    assert len(lines) == 8 and json.loads(lines[0])["completion"]["text"].startswith("Sure")
    pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    demur("export", "--results", str(results), "--out", str(tmp_path / "x.parquet"))
    table = pq.read_table(tmp_path / "x.parquet")
    assert table.num_rows == 8 and "label" in table.column_names


def test_errors_are_recorded_as_errors_not_refusals(tmp_path: Path) -> None:
    script = tmp_path / "broken.jsonl"
    script.write_text(json.dumps({"error": "HTTP 400 bad request", "retryable": False}) + "\n")
    results = tmp_path / "results"
    out = demur(
        "run", "--model", f"mock:{script}", "--suite", TINY, "--full", "--results", str(results)
    )
    assert "8 errors" in out
    with Store(store_path(results)) as store:
        rows = store.results(store.latest_run().run_id)
    assert {r.verdict.label.value for r in rows if r.verdict} == {"error"}


def test_bad_input_gets_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "suite.jsonl"
    good = {"id": "a", "text": "hi", "category": "unsafe", "subcategory": "privacy"}
    bad.write_text(json.dumps({**good, "expected": "noncomply"}) + "\n{oops\n")
    result = runner.invoke(
        app, ["run", "--model", "mock:refuse", "--suite", str(bad), "--results", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "suite.jsonl:2" in result.output
    result = runner.invoke(app, ["run", "--model", "nope", "--results", str(tmp_path)])
    assert result.exit_code == 2 and "BACKEND:NAME" in result.output
