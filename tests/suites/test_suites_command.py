"""`demur suites` through the real CLI: tables, JSON, loaded files and errors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from demur.cli import app
from demur.suites.resolve import builtin_suite_names, load_suite

runner = CliRunner()


def test_json_counts_match_the_suites(shared_data: Path) -> None:
    xstest = shared_data / "xstest" / "xstest_prompts.csv"
    result = runner.invoke(app, ["suites", "--json", f"xstest:{xstest}"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    listed = {s["name"]: s for s in json.loads(result.stdout)["suites"]}
    assert set(listed) == {*builtin_suite_names(), "xstest"}
    for name, summary in listed.items():
        suite = load_suite(f"xstest:{xstest}" if name == "xstest" else name)
        assert summary["prompts"] == len(suite)
        assert summary["languages"] == dict(Counter(p.language for p in suite.prompts))
        assert summary["expected"] == dict(Counter(str(p.expected) for p in suite.prompts))
        by_pair = Counter(f"{p.category}/{p.subcategory}" for p in suite.prompts)
        assert summary["subcategories"] == dict(by_pair)
        assert sum(row["total"] for row in summary["rows"]) == len(suite)
    assert listed["xstest"]["expected"] == {"comply": 250, "noncomply": 200}
    assert listed["boundaries"]["languages"].keys() == {"en", "es", "fr", "de", "zh", "ja"}


def test_table_output_lists_suites_and_subcategories(tmp_path: Path) -> None:
    mine = tmp_path / "mine.csv"
    mine.write_text("text,category\n[red]Be my girlfriend[/red],humanizing\n", "utf-8")
    spec = f"table:{mine}?default_subcategory=emotional_attachment"
    result = runner.invoke(app, ["suites", "--no-builtin", spec], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "mine" in result.stdout and "emotional_attachment" in result.stdout
    assert "noncompliance" not in result.stdout


def test_bad_file_fails_with_its_name_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "broken.jsonl"
    bad.write_text('{"id": "a", "category": "Humanizing requests"}\n{oops\n', "utf-8")
    result = runner.invoke(app, ["suites", "--no-builtin", f"coconot:{bad}"])
    assert result.exit_code == 2
    assert "broken.jsonl" in result.output and "not JSON" in result.output
    missing = runner.invoke(app, ["suites", "--no-builtin", "nosuchsuite"])
    assert missing.exit_code == 2 and "boundaries" in missing.output


def test_run_accepts_a_loader_spec(shared_data: Path, tmp_path: Path) -> None:
    spec = f"jailbreakbench:{shared_data / 'jailbreakbench' / 'benign-behaviors.csv'}"
    args = ["run", "--model", "mock:refuse", "--suite", spec, "--sample", "5"]
    result = runner.invoke(app, [*args, "--results", str(tmp_path), "--no-report"])
    assert result.exit_code == 0, result.output
    assert "generated 5" in result.output
