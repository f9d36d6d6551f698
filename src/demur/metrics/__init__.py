"""Metrics from stored results: rates with bootstrap intervals, grouped by any prompt field."""

from demur.metrics.compare import COMPARED, Difference, compare_runs
from demur.metrics.grouping import ALL, grouped, summarize
from demur.metrics.model import Estimate, GroupMetrics, ItemCounts
from demur.metrics.outcomes import GROUP_FIELDS, Outcome, Status, to_outcome, to_outcomes

__all__ = [
    "ALL",
    "COMPARED",
    "GROUP_FIELDS",
    "Difference",
    "Estimate",
    "GroupMetrics",
    "ItemCounts",
    "Outcome",
    "Status",
    "compare_runs",
    "grouped",
    "summarize",
    "to_outcome",
    "to_outcomes",
]
