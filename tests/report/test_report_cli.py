"""`demur report` and `demur compare` through the real CLI, on the demo store."""

from __future__ import annotations

import json
from pathlib import Path

from report_demo import Demo
from typer.testing import CliRunner

from demur.cli import app

runner = CliRunner()


def test_compare_writes_differences_for_every_run(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    prefixes = [r[:10] for r in demo.run_ids]
    result = runner.invoke(
        app, ["compare", *prefixes, "--results", str(demo.results), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((out / "report.json").read_text("utf-8"))
    diffs = data["comparisons"]["category"]
    assert {d["run"] for d in diffs} == set(demo.run_ids[1:])
    assert all(d["baseline"] == demo.run_ids[0] for d in diffs)
    assert any(d["significant"] for d in diffs)  # cautious against eager differ for real
    page = (out / "report.html").read_text("utf-8")
    assert "baseline → run" in page and "✱" in page


def test_compare_refuses_one_run_and_unknown_runs(demo: Demo) -> None:
    one = runner.invoke(app, ["compare", demo.run_ids[0], "--results", str(demo.results)])
    assert one.exit_code == 2 and "two or more runs" in one.output
    unknown = runner.invoke(
        app, ["compare", demo.run_ids[0], "zzzz", "--results", str(demo.results)]
    )
    assert unknown.exit_code == 2 and "no run matching 'zzzz'" in unknown.output


def test_report_command_writes_all_three_files(demo: Demo, tmp_path: Path) -> None:
    out = tmp_path / "rep"
    result = runner.invoke(
        app, ["report", demo.run_ids[1], "--results", str(demo.results), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"report.html", "report.md", "report.json"}
