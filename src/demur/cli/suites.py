"""`demur suites`: what each built-in or loaded suite holds, counted by its labels."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from demur.cli.app import app, fail
from demur.registry import MissingExtraError
from demur.suites.errors import SuiteFormatError
from demur.suites.resolve import builtin_suite_names, load_suite
from demur.suites.summary import SuiteSummary, summarise

# Tables and JSON are the command's output, so they go to stdout; errors go to stderr.
out = Console()


@app.command()
def suites(
    specs: list[str] = typer.Argument(
        None,
        help="Suites to count besides the built-in ones: LOADER:PATH (coconot:, xstest:, "
        "jailbreakbench:, table:PATH?text=COLUMN&...) or a demur JSONL path.",
    ),
    builtin: bool = typer.Option(True, help="Include the built-in suites."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """List suites with their prompt counts per category, subcategory, language and expected."""
    names = (builtin_suite_names() if builtin else []) + list(specs or [])
    summaries: list[SuiteSummary] = []
    for name in names:
        try:
            summaries.append(summarise(load_suite(name)))
        except (SuiteFormatError, KeyError, MissingExtraError) as exc:
            raise fail(escape(str(exc).strip("'\""))) from exc
    if as_json:
        payload = {"suites": [s.model_dump(mode="json") for s in summaries]}
        out.print_json(json.dumps(payload, ensure_ascii=False))
        return
    out.print(_overview(summaries))
    for summary in summaries:
        out.print(_breakdown(summary))


def _overview(summaries: list[SuiteSummary]) -> Table:
    table = Table(title="Suites", title_justify="left")
    table.add_column("suite", no_wrap=True)
    for column in ("prompts", "comply", "noncomply", "pairs"):
        table.add_column(column, justify="right")
    table.add_column("languages")
    for s in summaries:
        table.add_row(
            escape(s.name),
            str(s.prompts),
            str(s.expected.get("comply", 0)),
            str(s.expected.get("noncomply", 0)),
            str(s.pairs),
            escape(" ".join(sorted(s.languages))),
        )
    return table


def _breakdown(summary: SuiteSummary) -> Table:
    languages = sorted(summary.languages)
    title = f"{escape(summary.name)} ({escape(summary.source)}): {summary.prompts} prompts"
    table = Table(title=title, title_justify="left")
    table.add_column("category", no_wrap=True)
    table.add_column("subcategory", no_wrap=True)
    for column in ("total", "comply", "noncomply", *languages):
        table.add_column(escape(column), justify="right")
    for row in summary.rows:
        table.add_row(
            escape(row.category),
            escape(row.subcategory),
            str(row.total),
            str(row.comply),
            str(row.noncomply),
            *(str(row.languages.get(lang, 0)) for lang in languages),
        )
    return table
