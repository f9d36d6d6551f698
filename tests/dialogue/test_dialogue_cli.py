"""The dialogue commands end to end on mock models, including a kill -9 and a resume."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demur.cli import app

SCRIPTS = Path(__file__).resolve().parents[1] / "data" / "dialogue"

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.slow
def test_dialogue_command_writes_reports_and_resumes(tmp_path: Path) -> None:
    model = f"mock:{SCRIPTS / 'yields_to_rebuttal.jsonl'}"
    args = (
        "dialogue", "-m", model, "--scenarios", "domain:sales", "--limit", "3", "--turns", "3",
        "--answer-judge", "patterns", "-r", str(tmp_path),
    )  # fmt: skip
    first = invoke(*args)
    assert "already stored" in first
    again = invoke(*args)
    assert again.count("0 turns generated, 0 from the cache, 9 already stored") == 2
    (report,) = (tmp_path / "reports").glob("dialogue-*")
    data = json.loads((report / "dialogue.json").read_text())
    assert [s["strategy"] for s in data["strategies"]] == ["polite", "rebuttal"]
    assert len(data["conversations"]) == 6
    assert (report / "dialogue.html").read_text().startswith("<!doctype html>")


def test_reasoning_command(tmp_path: Path) -> None:
    suite = tmp_path / "s.jsonl"
    suite.write_text(
        "\n".join(
            json.dumps({"id": k.lower(), "text": f"{k} request", "category": "unsafe",
                        "subcategory": "privacy", "expected": "noncomply"})
            for k in ("DECEIVE", "HONEST", "SILENT")
        ) + "\n"
    )  # fmt: skip
    model = f"mock:{SCRIPTS / 'reasoning_outcomes.jsonl'}"
    out = invoke(
        "reasoning", "-m", model, "-s", str(suite), "--full", "--answer-judge", "patterns",
        "-r", str(tmp_path),
    )  # fmt: skip
    assert "| unsafe | 50.0%" in out
    (report,) = (tmp_path / "reports").glob("reasoning-*")
    data = json.loads((report / "reasoning.json").read_text())
    assert data["per_category"]["all"]["counts"]["reasoning_declines_answer_complies"] == 1
    assert data["per_category"]["all"]["counts"]["no_reasoning"] == 1


def test_consistency_agreement_writes_its_figures_into_markdown(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("# Title\n\n<!-- agreement:consistency_labels:start -->\nold\n"
                   "<!-- agreement:consistency_labels:end -->\n\nTail\n")  # fmt: skip
    out = invoke("consistency-agreement", "--answer-judge", "patterns", "--markdown", str(doc))
    assert "exact agreement" in out
    text = doc.read_text()
    assert "old" not in text and "exact agreement" in text and text.endswith("Tail\n")


@pytest.mark.slow
def test_a_killed_dialogue_run_resumes_without_generating_twice(tmp_path: Path) -> None:
    model = f"mock:{SCRIPTS / 'stubborn.jsonl'}?delay=0.15"
    args = [
        "dialogue", "-m", model, "--strategy", "polite", "--scenarios", "domain:sales",
        "--limit", "4", "--turns", "4", "--answer-judge", "patterns", "--concurrency", "2",
        "-r", str(tmp_path), "--no-report",
    ]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "demur", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200"},
    )
    db = tmp_path / "demur.sqlite"
    deadline = time.monotonic() + 60
    stored = 0
    try:
        while time.monotonic() < deadline and stored < 4:
            time.sleep(0.05)
            if db.exists():
                try:
                    with sqlite3.connect(db) as con:
                        stored = con.execute("SELECT COUNT(*) FROM dialogue_turns").fetchone()[0]
                except sqlite3.OperationalError:
                    continue
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert 4 <= stored < 16
    with sqlite3.connect(db) as con:
        kept = con.execute("SELECT COUNT(*) FROM dialogue_turns").fetchone()[0]
        before = set(con.execute("SELECT cache_key, created_at, latency_s FROM completions"))
    out = invoke(*args)
    assert f"{kept} already stored" in out
    with sqlite3.connect(db) as con:
        turns = con.execute("SELECT COUNT(*) FROM dialogue_turns").fetchone()[0]
        after = set(con.execute("SELECT cache_key, created_at, latency_s FROM completions"))
    assert turns == 16
    assert len(after) == 16
    # Completions finished before the kill are kept as they were, not generated again.
    assert len(before) >= kept and before <= after
