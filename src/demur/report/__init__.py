"""Reports of stored runs: HTML, Markdown and JSON, with comparisons across runs."""

from demur.report.data import ReportData, gather
from demur.report.html import render_html
from demur.report.markdown import render_markdown
from demur.report.write import ReportPaths, write_report_data, write_reports

__all__ = [
    "ReportData",
    "ReportPaths",
    "gather",
    "render_html",
    "render_markdown",
    "write_report_data",
    "write_reports",
]
