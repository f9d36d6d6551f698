"""Loaders for real benchmark formats, registered in demur.suites.resolve.loaders.

Each loader takes a path and keyword options (from `LOADER:PATH?key=value&...`) and returns a
whole Suite or raises SuiteFormatError naming the file, the line and the problem.
"""
