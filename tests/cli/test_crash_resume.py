"""A run killed mid-way (kill -9 or Ctrl-C) keeps every finished completion and resumes."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

N = 60


def write_suite(path: Path) -> None:
    lines = [
        json.dumps(
            {"id": f"q{i}", "text": f"question number {i}", "category": "unsafe",
             "subcategory": "privacy", "expected": "noncomply"}
        )
        for i in range(N)
    ]  # fmt: skip
    path.write_text("\n".join(lines) + "\n")


def start(suite: Path, results: Path) -> subprocess.Popen[str]:
    command = [
        sys.executable, "-m", "demur", "run", "--model", "mock:comply?delay=0.05",
        "--suite", str(suite), "--full", "--concurrency", "2", "--no-report",
        "--results", str(results),
    ]  # fmt: skip
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=os.environ | {"COLUMNS": "200"},
    )


def stored(results: Path) -> int:
    path = results / "demur.sqlite"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path) as db:
            return int(db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def wait_for(results: Path, at_least: int) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        count = stored(results)
        if count >= at_least:
            return count
        time.sleep(0.05)
    raise AssertionError("the run never got going")


def finish(suite: Path, results: Path) -> tuple[int, int]:
    proc = start(suite, results)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    match = re.search(r"generated (\d+), reused (\d+)", output)
    assert match, output
    return int(match.group(1)), int(match.group(2))


@pytest.mark.slow
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_killed_run_resumes_and_answers_every_prompt_once(
    tmp_path: Path, how: signal.Signals
) -> None:
    suite, results = tmp_path / "suite.jsonl", tmp_path / "results"
    write_suite(suite)
    proc = start(suite, results)
    wait_for(results, 10)
    proc.send_signal(how)
    output, _ = proc.communicate(timeout=60)
    kept = stored(results)
    assert 10 <= kept < N
    if how == signal.SIGINT:
        assert proc.returncode == 130 and "interrupted" in output
    generated, reused = finish(suite, results)
    assert (generated, reused) == (N - kept, kept)
    assert stored(results) == N
    assert finish(suite, results) == (0, N)
