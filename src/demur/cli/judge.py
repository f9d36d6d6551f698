"""`demur judge` and `demur agreement`: label responses made anywhere, and score a judge."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table as RichTable

from demur.cli.app import app, console, fail
from demur.cli.progress import progress_bar
from demur.cli.shared import RESULTS_OPTION
from demur.judges.agreement import HUMAN_LABELS, JUDGE_COLUMNS, Agreement, agreement
from demur.judges.base import Judge, JudgeItem
from demur.judges.registry import JudgeOptions, create_judge
from demur.judges.stage import judge_run
from demur.judges.verdict import Label, Verdict
from demur.metrics.model import Estimate
from demur.registry import MissingExtraError
from demur.store.sqlite import Store, StoreError, store_path
from demur.suites.errors import SuiteFormatError
from demur.suites.loaders.rows import Table, read_table

BATCH = 256
JUDGE_OPTION = typer.Option("default", "--judge", "-j", help="Registered judge name.")
JUDGE_MODEL_OPTION = typer.Option(
    None, "--judge-model", help="BACKEND:NAME of the judge model (rubric, cascade)."
)
BASE_URL_OPTION = typer.Option(None, help="Endpoint of the judge model's OpenAI-compatible server.")
CACHE_OPTION = typer.Option(None, help="Where judge-model answers are cached.")
PROMPT_COLUMN = typer.Option("prompt", help="Column holding the request.")
RESPONSE_COLUMN = typer.Option("response", help="Column holding the response.")


def _judge(name: str, judge_model: str | None, base_url: str | None, cache: Path | None) -> Judge:
    options = JudgeOptions(
        judge_model=judge_model, base_url=base_url, cache_dir=str(cache) if cache else None
    )
    try:
        return create_judge(name, options)
    except (KeyError, ValueError, MissingExtraError) as exc:
        raise fail(str(exc).strip("'\"")) from exc


def _read(path: Path, *columns: str) -> Table:
    if not path.is_file():
        raise fail(f"no file at {path}")
    try:
        table = read_table(path)
        table.require(*columns)
    except SuiteFormatError as exc:
        raise fail(str(exc)) from exc
    return table


def _items(table: Table, prompt_column: str, response_column: str) -> list[JudgeItem]:
    optional = [c for c in ("language", "category", "subcategory") if c in table.columns]
    return [
        JudgeItem(
            prompt=row.get(prompt_column),
            response=row.get(response_column),
            **{c: row.get(c) or None for c in optional},
        )
        for row in table.rows
    ]


def _label_items(judge: Judge, items: list[JudgeItem], description: str) -> list[Verdict]:
    verdicts: list[Verdict] = []
    with progress_bar(description) as update:
        for start in range(0, len(items), BATCH):
            verdicts.extend(judge.judge(items[start : start + BATCH]))
            update(len(verdicts), len(items))
    return verdicts


@app.command()
def judge(
    file: Path | None = typer.Argument(None, help="CSV or JSONL of responses to label."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Verdicts, one JSONL line a row."
    ),
    judge_name: str = JUDGE_OPTION,
    prompt_column: str = PROMPT_COLUMN,
    response_column: str = RESPONSE_COLUMN,
    run: str | None = typer.Option(
        None, "--run", help="Label a stored run (id or prefix) instead."
    ),
    results: Path = RESULTS_OPTION,
    force: bool = typer.Option(False, help="With --run: label again what this judge labelled."),
    judge_model: str | None = JUDGE_MODEL_OPTION,
    base_url: str | None = BASE_URL_OPTION,
    cache_dir: Path | None = CACHE_OPTION,
) -> None:
    """Label responses with a judge: from a file (one verdict per row, in order) or a stored run."""
    if (file is None) == (run is None):
        raise fail("give either FILE (with --output) or --run RUN_ID")
    chosen = _judge(judge_name, judge_model, base_url, cache_dir)
    if run is not None:
        path = store_path(results)
        if not path.is_file():
            raise fail(f"no results store at {path}: run `demur run` first, or pass --results")
        with Store(path) as store:
            try:
                record = store.run(run)
            except StoreError as exc:
                raise fail(str(exc)) from exc
            with progress_bar(f"judging ({chosen.name})") as update:
                summary = judge_run(store, record.run_id, chosen, progress=update, force=force)
        console.print(
            f"judge {summary.judge} {summary.judge_version} on run {record.run_id[:12]}: "
            f"{summary.judged} new verdicts, {summary.already} kept (earlier judges' verdicts "
            "stay beside them)"
        )
        return
    assert file is not None
    if output is None:
        raise fail("give --output OUT.jsonl for the verdicts")
    table = _read(file, prompt_column, response_column)
    verdicts = _label_items(chosen, _items(table, prompt_column, response_column), chosen.name)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as out:
        for row, verdict in zip(table.rows, verdicts, strict=True):
            line = {"line": row.line, **verdict.model_dump(mode="json")}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for verdict in verdicts:
        counts[verdict.label.value] = counts.get(verdict.label.value, 0) + 1
    console.print(
        f"{len(verdicts)} verdicts by {chosen.name} {chosen.version} -> {output}: {counts}"
    )


def parse_mapping(text: str | None) -> dict[str, str]:
    """--map "complied=comply,rejected=refuse,incoherent=skip" as a dict (keys lower-cased)."""
    mapping: dict[str, str] = {}
    if not text:
        return mapping
    for part in text.split(","):
        if not part.strip():
            continue
        source, sep, target = part.partition("=")
        target = target.strip().lower()
        if not sep or target not in (*HUMAN_LABELS, "skip"):
            raise ValueError(
                f"--map entry {part.strip()!r}: write HUMAN=OURS with OURS one of "
                f"{', '.join(HUMAN_LABELS)} or skip"
            )
        mapping[source.strip().lower()] = target
    return mapping


def _fmt(estimate: Estimate) -> str:
    if estimate.value is None:
        return "n/a"
    if estimate.low is None or estimate.high is None:
        return f"{estimate.value:.3f}"
    return f"{estimate.value:.3f} [{estimate.low:.3f}, {estimate.high:.3f}]"


def _show(title: str, result: Agreement) -> None:
    table = RichTable(title=title, show_header=True)
    table.add_column("metric")
    table.add_column("value [95% CI]")
    for name in ("accuracy", "precision", "recall", "f1", "kappa"):
        table.add_row(name, _fmt(getattr(result, name)))
    table.add_row("scored items", str(result.n))
    table.add_row("unscored items", str(result.unscored))
    console.print(table)
    matrix = RichTable(title="human (rows) x judge (columns)")
    matrix.add_column("human")
    for column in JUDGE_COLUMNS:
        matrix.add_column(column, justify="right")
    for human, row in result.confusion.items():
        matrix.add_row(human, *(str(row[c]) for c in JUDGE_COLUMNS))
    console.print(matrix)


@app.command("agreement")
def agreement_command(
    file: Path = typer.Argument(..., help="CSV or JSONL with responses and human labels."),
    label_column: str = typer.Option(..., "--label-column", help="Column of human labels."),
    mapping: str | None = typer.Option(
        None, "--map", help='Human label to ours, e.g. "complied=comply,rejected=refuse,x=skip".'
    ),
    judge_name: str = JUDGE_OPTION,
    prediction_column: str | None = typer.Option(
        None, help="Score labels already in this column instead of running a judge."
    ),
    by: str | None = typer.Option(None, help="Also report per value of this column."),
    prompt_column: str = PROMPT_COLUMN,
    response_column: str = RESPONSE_COLUMN,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    seed: int = typer.Option(0, help="Seed of the bootstrap intervals."),
    judge_model: str | None = JUDGE_MODEL_OPTION,
    base_url: str | None = BASE_URL_OPTION,
    cache_dir: Path | None = CACHE_OPTION,
) -> None:
    """Score a judge against human labels: accuracy, refusal P/R/F1, kappa, with 95% intervals."""
    try:
        table_map = parse_mapping(mapping)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    needed = [label_column] + ([prediction_column] if prediction_column else [])
    if prediction_column is None:
        needed += [prompt_column, response_column]
    if by:
        needed.append(by)
    table = _read(file, *needed)
    keep: list[int] = []
    human: list[str] = []
    for index, row in enumerate(table.rows):
        raw = row.get(label_column).strip().lower()
        value = table_map.get(raw, raw)
        if value == "skip" or not raw:
            continue
        if value not in HUMAN_LABELS:
            raise fail(
                f"{file}:{row.line}: human label {raw!r} is not {', '.join(HUMAN_LABELS)}; "
                f'map it with --map "{raw}=refuse" (or =comply, =partial, =skip)'
            )
        keep.append(index)
        human.append(value)
    if prediction_column is not None:
        labels = []
        for index in keep:
            raw = table.rows[index].get(prediction_column).strip().lower()
            mapped = table_map.get(raw, raw)
            labels.append(Label(mapped) if mapped in Label.__members__.values() else Label.UNSCORED)
        name = f"column {prediction_column}"
    else:
        chosen = _judge(judge_name, judge_model, base_url, cache_dir)
        items = _items(table, prompt_column, response_column)
        verdicts = _label_items(chosen, [items[i] for i in keep], chosen.name)
        labels = [v.label for v in verdicts]
        name = f"{chosen.name} {chosen.version}"
    groups: dict[str, list[int]] = {"all": list(range(len(keep)))}
    if by:
        for position, index in enumerate(keep):
            groups.setdefault(f"{by}={table.rows[index].get(by)}", []).append(position)
    results = {
        group: agreement([human[i] for i in ids], [labels[i] for i in ids], seed=seed)
        for group, ids in groups.items()
    }
    if as_json:
        payload = {
            "file": str(file),
            "judge": name,
            "groups": {g: r.model_dump(mode="json") for g, r in results.items()},
        }
        typer.echo(json.dumps(payload, indent=2))
        return
    for group, result in results.items():
        _show(f"{name} vs {label_column} ({group})", result)
