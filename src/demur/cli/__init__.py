"""The `demur` command line: a thin layer over the library. Each command lives in its module."""

from demur.cli import report, run, runs
from demur.cli.app import app

__all__ = ["app", "report", "run", "runs"]
