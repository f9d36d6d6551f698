"""Errors raised while reading suites."""

from __future__ import annotations


class SuiteFormatError(ValueError):
    """A suite file is malformed; says which file, which line and what is wrong."""

    def __init__(self, source: str, line: int | None, problem: str):
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {problem}")
        self.source = source
        self.line = line
        self.problem = problem
