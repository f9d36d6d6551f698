"""Reports of stored runs: HTML, Markdown and JSON."""

from demur.report.write import ReportPaths, write_reports

__all__ = ["ReportPaths", "write_reports"]
