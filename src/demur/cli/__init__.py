"""The `demur` command line: a thin layer over the library. Each command lives in its module."""

from demur.cli import calibrate, compare, dialogue, judge, report, run, runs, suites, train
from demur.cli.app import app

__all__ = [
    "app",
    "calibrate",
    "compare",
    "dialogue",
    "judge",
    "report",
    "run",
    "runs",
    "suites",
    "train",
]
