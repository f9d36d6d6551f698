"""The content of a report, gathered once from the store and rendered in every format."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from demur.dialogue.report import DialogueSection, ReasoningSection
from demur.metrics import (
    ALL,
    Difference,
    GroupMetrics,
    ItemCounts,
    Outcome,
    compare_runs,
    grouped,
    summarize,
    to_outcome,
)
from demur.metrics.bootstrap import RESAMPLES
from demur.report.probes import dialogue_sections, reasoning_sections
from demur.report.sweeps import SweepFile, find_sweeps
from demur.store.records import ResultRow, RunRecord, utc_now
from demur.store.sqlite import Store

BREAKDOWNS = ("category", "subcategory", "language", "suite")
COMPARED_FIELDS = ("category", "subcategory", "language")
COMPARED_LABELS = {
    "harmful_compliance": "compliance, should not (lower is better)",
    "contrast_compliance": "compliance, contrast (higher is better)",
    "f1": "noncompliance F1 (higher is better)",
}
"""Reader-facing names of the metrics compared across runs (see demur.metrics.COMPARED)."""
EXAMPLES_PER_GROUP = 4
"""Examples shown per (run, subcategory): wrong answers first, then uncounted, then right."""
EXAMPLE_CHARS = 1500
"""Longer prompts and responses are cut in examples, so a report stays small."""


class RunInfo(BaseModel):
    """What a run was: the model, the suite, the system prompt and whose verdicts are shown."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    label: str = Field(description="Short name for tables and charts, unique in the report.")
    model: str
    suite: str
    system_prompt: str | None
    judge: str | None
    judge_version: str | None
    created_at: str
    counts: ItemCounts


class Example(BaseModel):
    """One prompt and response with its verdict, for the drill-down."""

    model_config = ConfigDict(frozen=True)

    prompt_id: str
    prompt: str
    response: str
    language: str
    expected: str
    status: str
    label: str | None
    form: str | None
    correct: bool | None
    reason: str | None
    boundary_score: float | None
    finish_reason: str | None = None


class ExampleGroup(BaseModel):
    """Examples of one run's subcategory; `total` says how many items the group holds."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    category: str
    subcategory: str
    total: int
    wrong: int
    uncounted: int
    examples: list[Example]


class RunMetrics(BaseModel):
    """One run with its metrics per breakdown field (each list starts with `all`)."""

    model_config = ConfigDict(frozen=True)

    run: RunInfo
    breakdowns: dict[str, list[GroupMetrics]]

    def group(self, field: str, group: str) -> GroupMetrics | None:
        return next((g for g in self.breakdowns.get(field, []) if g.group == group), None)


class ReportData(BaseModel):
    """Everything a report shows; the JSON report is this model."""

    model_config = ConfigDict(frozen=True)

    title: str
    created_at: str
    demur_version: str
    seed: int
    resamples: int
    runs: list[RunMetrics]
    comparisons: dict[str, list[Difference]] = Field(
        default_factory=dict, description="Per field, each run against the first."
    )
    examples: list[ExampleGroup] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    sweeps: list[SweepFile] = Field(
        default_factory=list, description="Calibration sweeps of the reported models."
    )
    dialogues: list[DialogueSection] = Field(
        default_factory=list, description="Multi-turn dialogue runs of the reported models."
    )
    reasoning: list[ReasoningSection] = Field(
        default_factory=list, description="Reasoning-consistency runs of the reported models."
    )


EXTRA_SECTIONS = ("sweeps", "dialogues", "reasoning")
"""Fields that a report holds only when the store or the results folder has such results."""


def demur_version() -> str:
    try:
        return version("demur")
    except PackageNotFoundError:
        return "unknown"


def system_prompt_of(record: RunRecord) -> str | None:
    """The system prompt the run sent, read from its stored spec (None when there was none)."""
    try:
        spec = json.loads(record.spec_json)
    except ValueError:
        return None
    value = spec.get("generate", {}).get("system_prompt") if isinstance(spec, dict) else None
    return str(value) if value else None


def short_model(model: str) -> str:
    """A model spec without its directories (mock:/a/b/script.jsonl -> mock:script.jsonl)."""
    backend, sep, name = model.partition(":")
    if sep and "/" in name:
        return f"{backend}:{name.rstrip('/').rsplit('/', 1)[-1]}"
    return model


def run_labels(records: Sequence[RunRecord]) -> dict[str, str]:
    """Unique, short labels: the model, then a system-prompt mark, then the run id if needed."""
    labels = {r.run_id: short_model(r.model) for r in records}
    for step in ("system prompt", "run id"):
        taken = Counter(labels.values())
        for r in records:
            if taken[labels[r.run_id]] < 2:
                continue
            if step == "system prompt" and system_prompt_of(r):
                labels[r.run_id] += " +sys"
            elif step == "run id":
                labels[r.run_id] += f" [{r.run_id[:6]}]"
    return labels


def _examples(
    run_id: str, rows: Sequence[ResultRow], outcomes: Sequence[Outcome], cap: int
) -> list[ExampleGroup]:
    groups: dict[tuple[str, str], list[tuple[ResultRow, Outcome]]] = defaultdict(list)
    for row, outcome in zip(rows, outcomes, strict=True):
        groups[(row.prompt.category, row.prompt.subcategory)].append((row, outcome))

    def rank(item: tuple[ResultRow, Outcome]) -> tuple[int, int]:
        # Wrong answers teach most, then items outside the denominators, then right ones.
        row, outcome = item
        order = 1 if not outcome.scored else (2 if outcome.correct else 0)
        return order, row.index

    result: list[ExampleGroup] = []
    for (category, subcategory), items in sorted(groups.items()):
        ordered = sorted(items, key=rank)
        result.append(
            ExampleGroup(
                run_id=run_id,
                category=category,
                subcategory=subcategory,
                total=len(items),
                wrong=sum(o.scored and not o.correct for _, o in items),
                uncounted=sum(not o.scored for _, o in items),
                examples=[_example(row, outcome) for row, outcome in ordered[:cap]],
            )
        )
    return result


def _cut(text: str) -> str:
    if len(text) <= EXAMPLE_CHARS:
        return text
    return text[:EXAMPLE_CHARS] + f" [... {len(text) - EXAMPLE_CHARS} more characters]"


def _example(row: ResultRow, outcome: Outcome) -> Example:
    completion, verdict = row.completion, row.verdict
    response = completion.text if completion else ""
    if completion and completion.error:
        response = ""
    reason = verdict.reason if verdict else None
    if reason is None and completion is not None:
        reason = completion.error or completion.api_refusal
    return Example(
        prompt_id=row.prompt.id,
        prompt=_cut(row.prompt.text),
        response=_cut(response),
        language=row.prompt.language,
        expected=row.prompt.expected.value,
        status=outcome.status.value,
        label=outcome.label.value if outcome.label else None,
        form=outcome.form,
        correct=outcome.correct if outcome.scored else None,
        reason=reason,
        boundary_score=outcome.boundary_score,
        finish_reason=completion.finish_reason if completion else None,
    )


def gather(
    store: Store,
    run_ids: Sequence[str],
    judge: str | None = None,
    *,
    seed: int = 0,
    resamples: int = RESAMPLES,
    examples_per_group: int = EXAMPLES_PER_GROUP,
    sweeps: Sequence[Path] = (),
    probes: bool = True,
) -> ReportData:
    """Read the runs' results (with `judge`'s newest verdicts, or the newest judge's) and compute
    every metric, comparison and example the report shows.

    Sweeps under the store's folder (RESULTS/sweeps/) of the runs' models are included, and
    every file in `sweeps`; with `probes`, so are the models' dialogue and reasoning results."""
    records = [store.run(r) for r in run_ids]
    labels = run_labels(records)
    runs: list[RunMetrics] = []
    outcomes_by_run: dict[str, list[Outcome]] = {}
    examples: list[ExampleGroup] = []
    notes: list[str] = []
    for record in records:
        rows = store.results(record.run_id, judge=judge)
        outcomes = [to_outcome(row, labels[record.run_id]) for row in rows]
        outcomes_by_run[record.run_id] = outcomes
        verdict = next((row.verdict for row in rows if row.verdict is not None), None)
        # The `all` row is the same for every field: compute it once.
        everything = summarize(outcomes, BREAKDOWNS[0], ALL, seed=seed, resamples=resamples)
        breakdowns = {
            field: [
                everything.model_copy(update={"field": field}),
                *grouped(outcomes, field, seed=seed, resamples=resamples, include_all=False),
            ]
            for field in BREAKDOWNS
        }
        info = RunInfo(
            run_id=record.run_id,
            label=labels[record.run_id],
            model=record.model,
            suite=record.suite,
            system_prompt=system_prompt_of(record),
            judge=verdict.judge if verdict else None,
            judge_version=verdict.judge_version if verdict else None,
            created_at=record.created_at,
            counts=breakdowns["category"][0].counts,
        )
        if verdict is None:
            notes.append(
                f"run {record.run_id} has no verdicts"
                + (f" of judge {judge!r}" if judge else "")
                + ": its items are counted as unjudged; run `demur judge` or `demur run` again"
            )
        runs.append(RunMetrics(run=info, breakdowns=breakdowns))
        examples += _examples(record.run_id, rows, outcomes, examples_per_group)
    judges = {(r.run.judge, r.run.judge_version) for r in runs if r.run.judge}
    if len(judges) > 1:
        names = ", ".join(f"{j} {v}" for j, v in sorted(judges, key=str))
        notes.append(
            f"runs are labelled by different judges ({names}): differences may come from "
            "the judges; pass --judge to use one"
        )
    comparisons = (
        {
            field: compare_runs(outcomes_by_run, field, seed=seed, resamples=resamples)
            for field in COMPARED_FIELDS
        }
        if len(records) > 1
        else {}
    )
    models = list(dict.fromkeys(r.model for r in records))
    return ReportData(
        title="demur report: " + ", ".join(labels[r.run_id] for r in records),
        created_at=utc_now(),
        demur_version=demur_version(),
        seed=seed,
        resamples=resamples,
        runs=runs,
        comparisons=comparisons,
        examples=examples,
        notes=notes,
        sweeps=find_sweeps(store.path.parent, models, sweeps),
        dialogues=dialogue_sections(store, models) if probes else [],
        reasoning=reasoning_sections(store, models) if probes else [],
    )
