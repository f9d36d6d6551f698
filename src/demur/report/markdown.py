"""The Markdown summary: the headline table, per-run tables, comparisons, a few examples.

Every cell passes through `md()`: model output may hold pipes, newlines, backticks or HTML that
would break a table or run as markup where Markdown is rendered.
"""

from __future__ import annotations

import re

from demur.dialogue.report import dialogue_markdown, reasoning_markdown
from demur.metrics.grouping import ALL
from demur.metrics.model import Estimate, GroupMetrics
from demur.report.data import COMPARED_LABELS, ReportData
from demur.report.headline import headline
from demur.report.svg import pct
from demur.report.sweeps import SweepFile, describe_sweep

EXAMPLES_PER_RUN = 5

EXAMPLE_CHARS = 240
_SPECIAL = re.compile(r"([\\`*_\[\]#|~])")
"""Markdown punctuation that could start emphasis, code, links, headings or table cells."""


def md(text: object, limit: int | None = None) -> str:
    """Text safe inside a Markdown table cell: one line, no markup, no table breaks."""
    value = " ".join(str(text).split())
    if limit is not None and len(value) > limit:
        value = value[:limit] + "…"
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # `>` is already an entity, so only Markdown's own punctuation is left to neutralise.
    return _SPECIAL.sub(r"\\\1", value)


def fmt(estimate: Estimate | None, percent: bool = True) -> str:
    if estimate is None or estimate.value is None:
        return f"n/a (n={estimate.n if estimate else 0})"
    if percent:
        low, high = estimate.low, estimate.high
        interval = (
            f" [{100 * low:.1f}–{100 * high:.1f}]" if low is not None and high is not None else ""
        )
        return f"{pct(estimate.value)}{interval} n={estimate.n}"
    interval = (
        f" [{estimate.low:.2f}–{estimate.high:.2f}]"
        if estimate.low is not None and estimate.high is not None
        else ""
    )
    return f"{estimate.value:.2f}{interval} n={estimate.n}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return [*lines, ""]


def _group_rows(groups: list[GroupMetrics]) -> list[list[str]]:
    return [
        [
            md(g.group),
            fmt(g.harmful_compliance),
            fmt(g.contrast_compliance),
            fmt(g.over_refusal),
            fmt(g.f1, percent=False),
            fmt(g.paired),
            f"{g.counts.scored}/{g.counts.total}",
            f"{g.counts.unscored}/{g.counts.error}/{g.counts.api_refusal}/{g.counts.unjudged}",
        ]
        for g in groups
    ]


SWEEP_ROWS = 5
"""Values shown per key of a sweep: the ends and evenly spaced points between."""


def _share(value: float | None) -> str:
    return "n/a" if value is None else pct(value)


def _sweep_lines(sweep: SweepFile) -> list[str]:
    lines = [md(describe_sweep(sweep)), ""]
    rows = []
    for key in sweep.key_names:
        points = sorted((p for p in sweep.points if p.key == key), key=lambda p: p.value)
        shown = sorted({round(i * (len(points) - 1) / (SWEEP_ROWS - 1)) for i in range(SWEEP_ROWS)})
        n = sweep.counts.get(key)
        for i in shown:
            p = points[i]
            rows.append(
                [
                    md(key),
                    f"{p.value:g}",
                    _share(p.should_refuse_rate) + (f" n={n.should_refuse}" if n else ""),
                    _share(p.contrast_rate) + (f" n={n.contrast}" if n else ""),
                ]
            )
    return lines + _table(
        ["key", sweep.mode, "should not comply: refused", "contrast: refused"], rows
    )


def _extra_lines(data: ReportData) -> list[str]:
    """Sweeps, dialogues and reasoning checks, when the report has any."""
    lines: list[str] = []
    if data.sweeps:
        lines += ["## Calibration sweeps", ""]
        lines += [
            "Refusal rate per key as its threshold or bias moves (first generated position "
            "only; the HTML report draws the curves with intervals).",
            "",
        ]
        for sweep in data.sweeps:
            lines += _sweep_lines(sweep)
    for section in data.dialogues:
        lines += [dialogue_markdown(section)]
    for reasoning in data.reasoning:
        lines += [reasoning_markdown(reasoning)]
    return lines


def render_markdown(data: ReportData) -> str:
    """The report as Markdown."""
    lines = [f"# {md(data.title)}", ""]
    lines += [
        f"Generated {md(data.created_at)} by demur {md(data.demur_version)}. Rates are "
        f"percentages with bootstrap 95% intervals ({data.resamples} resamples, seed "
        f"{data.seed}) and n, the scored items behind them. Partial answers count as "
        "noncompliance. Unscored, errored, provider-refused and unjudged items are outside "
        "every denominator and counted in their own column.",
        "",
    ]
    lines += [f"> **Note:** {md(n)}" for n in data.notes]
    lines += ["## Runs", ""]
    lines += _table(
        [
            "label",
            "model",
            "suite",
            "system prompt",
            "judge",
            "run",
            "items",
            "scored",
            "unscored",
            "errors",
            "provider refusals",
            "unjudged",
        ],
        [
            [
                md(r.run.label),
                md(r.run.model),
                md(r.run.suite),
                md(r.run.system_prompt or "none", 80),
                md(f"{r.run.judge or '-'} {r.run.judge_version or ''}"),
                md(r.run.run_id),
                *(
                    str(v)
                    for v in (
                        r.run.counts.total,
                        r.run.counts.scored,
                        r.run.counts.unscored,
                        r.run.counts.error,
                        r.run.counts.api_refusal,
                        r.run.counts.unjudged,
                    )
                ),
            ]
            for r in data.runs
        ],
    )
    table = headline(data)
    flags: list[bool | None] = [False, True] if table.split_system else [None]
    header = ["model"] + [
        f"{name} ({'sys' if flag else 'no sys'})" if flag is not None else name
        for _, name in [*table.columns, ("", "not scored")]
        for flag in flags
    ]
    lines += ["## Compliance by category (%)", ""]
    lines += [
        "Lower is better on every category; higher is better on Contrast.",
        "",
    ]
    lines += _table(
        header,
        [
            [md(row.label)]
            + [fmt(row.cells.get((cid, flag))) for cid, _ in table.columns for flag in flags]
            + [
                f"{c.uncounted} of {c.total}" if (c := row.counts.get(flag)) else "n/a"
                for flag in flags
            ]
            for row in table.rows
        ],
    )
    group_header = [
        "category",
        "compliance (should not)",
        "compliance (contrast)",
        "over-refusal",
        "F1",
        "pairs right",
        "scored/items",
        "unscored/errors/provider/unjudged",
    ]
    for r in data.runs:
        lines += [f"## {md(r.run.label)}", ""]
        lines += _table(group_header, _group_rows(r.breakdowns["category"]))
        everything = r.group("category", ALL)
        if everything and everything.forms:
            forms = ", ".join(f"{md(k)} {fmt(v)}" for k, v in everything.forms.items())
            lines += [f"Forms of noncompliance: {forms}", ""]
    if data.comparisons:
        labels = {r.run.run_id: r.run.label for r in data.runs}
        lines += ["## Comparison with the first run (run − baseline)", ""]
        rows = []
        for diff in data.comparisons.get("category", []):
            est = diff.difference
            # Rates differ in percentage points (one decimal); F1 in its own units.
            scale, unit, digits = (1, "", 3) if diff.metric == "f1" else (100, " pt", 1)
            value = "n/a" if est.value is None else f"{scale * est.value:+.{digits}f}{unit}"
            interval = (
                f"[{scale * est.low:+.{digits}f}, {scale * est.high:+.{digits}f}]"
                if est.low is not None and est.high is not None
                else ""
            )
            rows.append(
                [
                    md(diff.group),
                    COMPARED_LABELS[diff.metric],
                    md(labels.get(diff.run, diff.run)),
                    f"{value} {interval}",
                    "yes" if diff.significant else "no",
                    "paired" if diff.paired else "independent",
                ]
            )
        lines += _table(
            [
                "category",
                "metric",
                "run",
                "difference [95% CI]",
                "interval excludes 0",
                "bootstrap",
            ],
            rows,
        )
    lines += _extra_lines(data)
    lines += ["## Examples of wrong answers", ""]
    for r in data.runs:
        wrong = [
            x
            for g in data.examples
            if g.run_id == r.run.run_id
            for x in g.examples
            if x.correct is False
        ][:EXAMPLES_PER_RUN]
        if not wrong:
            continue
        lines += [f"### {md(r.run.label)}", ""]
        lines += _table(
            ["prompt", "expected", "label", "response"],
            [
                [
                    md(x.prompt, EXAMPLE_CHARS),
                    md(x.expected),
                    md(x.label or "-"),
                    md(x.response, EXAMPLE_CHARS),
                ]
                for x in wrong
            ],
        )
    return "\n".join(lines).rstrip() + "\n"
