"""`demur synth` and `demur train` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from demur.cli import app

pytest.importorskip("peft")


def test_synth_then_train_then_resume(tiny_model: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    data = tmp_path / "train.jsonl"
    result = runner.invoke(
        app, ["synth", "--out", str(data), "--style", "rebuttal", "--per-subcategory", "2"]
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in data.read_text().splitlines()]
    assert {r["style"] for r in records} == {"rebuttal", "helpful"}

    out = tmp_path / "model"
    args = ["train", str(data), "--out", str(out), "--model", str(tiny_model), "--max-steps", "2"]
    result = runner.invoke(app, [*args, "--batch-size", "2", "--checkpoint-every", "1"])
    assert result.exit_code == 0, result.output
    assert (out / "config.json").is_file() and (out / "demur-train.json").is_file()
    resumed = runner.invoke(app, [*args, "--max-steps", "3", "--batch-size", "2", "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert json.loads((out / "demur-train.json").read_text())["resumed_from"] == 1


def test_bad_options_fail_with_a_message(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["synth", "--out", str(tmp_path / "x.jsonl"), "--style", "rude"])
    assert result.exit_code == 2 and "polite or rebuttal" in result.output
    result = runner.invoke(app, ["train", str(tmp_path / "missing.jsonl"), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "no training data" in result.output
