"""Options and steps several commands share."""

from __future__ import annotations

from pathlib import Path

import typer

from demur.cli.app import console, fail
from demur.cli.progress import progress_bar
from demur.judges.registry import JudgeOptions, create_judge
from demur.judges.stage import judge_run
from demur.registry import MissingExtraError
from demur.report import write_reports
from demur.store.sqlite import Store

TEMPERATURE_OPTION = typer.Option(0.0, help="Sampling temperature (0 is greedy).")
BASE_URL_OPTION = typer.Option(None, help="Endpoint of an OpenAI-compatible server.")
API_KEY_ENV_OPTION = typer.Option(
    "OPENAI_API_KEY", help="Environment variable holding the API key (never stored)."
)
TIMEOUT_OPTION = typer.Option(120.0, help="Seconds before a request times out.")
RETRIES_OPTION = typer.Option(4, min=0, help="Retries of a failed request, with backoff.")

RESULTS_OPTION = typer.Option(
    Path("demur-results"), "--results", "-r", help="Directory of the results store and reports."
)


def judge_and_report(
    store: Store,
    run_ids: list[str],
    results: Path,
    judge_name: str,
    report: bool,
    options: JudgeOptions | None = None,
) -> None:
    """Label every unjudged completion of the runs, then write their report."""
    try:
        judge = create_judge(judge_name, options)
    except (KeyError, ValueError, MissingExtraError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    for run_id in run_ids:
        with progress_bar(f"judging ({judge.name})") as update:
            summary = judge_run(store, run_id, judge, progress=update)
        console.print(
            f"judge {judge.name} {judge.version}: {summary.judged} new verdicts, "
            f"{summary.already} kept"
        )
    if report:
        out = results / "reports" / "-".join(r[:8] for r in run_ids)
        paths = write_reports(store, run_ids, out, judge=judge.name)
        console.print(f"report: {paths.html}\n        {paths.markdown}\n        {paths.json}")
