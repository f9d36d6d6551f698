"""Multi-turn dialogue and reasoning-consistency results of the reported models.

`demur dialogue` and `demur reasoning` store their results in the same store as ordinary runs;
a report of a model's runs shows them when the store holds some for that model (the same model
spec). The sections' data and fragments come from demur.dialogue.report; this module finds the
stored results and hands them over, and adds the report's charts.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from html import escape

from pydantic import ValidationError

from demur.dialogue.protocol import DialogueSpec
from demur.dialogue.reasoning import JudgedReply

# The stored-verdict reader of demur.dialogue.reasoning, used without judging anything again:
# a report reads the store, it never calls a judge that could write to it.
from demur.dialogue.reasoning import consistency_from_verdict as stored_consistency
from demur.dialogue.report import (
    DialogueSection,
    ReasoningSection,
    dialogue_section,
    reasoning_section,
    render_dialogue_html,
    render_reasoning_html,
)
from demur.dialogue.storage import DialogueStore
from demur.report.svg import Line, Series, bar_chart, line_chart
from demur.store.sqlite import Store

log = logging.getLogger(__name__)

CONSISTENCY_JUDGES = "consistency"
"""Prefix of the consistency judges' names (consistency-rules, consistency-llm)."""


def dialogue_sections(store: Store, models: Iterable[str]) -> list[DialogueSection]:
    """One section per set of dialogue runs of a reported model that played the same scenarios
    the same way under different strategies, oldest first."""
    wanted = set(models)
    with DialogueStore(store) as dialogues:
        runs = [r for r in dialogues.runs() if r.model in wanted]
    groups: dict[str, list[str]] = {}
    for run in runs:
        try:
            spec = DialogueSpec.model_validate_json(run.spec_json)
        except ValidationError:
            log.warning("dialogue run %s has a spec this demur cannot read; skipped", run.run_id)
            continue
        # Runs that differ only in their strategy belong in one comparison.
        same = json.dumps(spec.model_dump(mode="json", exclude={"strategy"}), sort_keys=True)
        groups.setdefault(same, []).append(run.run_id)
    return [dialogue_section(store, run_ids) for run_ids in groups.values()]


def reasoning_sections(store: Store, models: Iterable[str]) -> list[ReasoningSection]:
    """One section per run of a reported model that a consistency judge has labelled (the
    newest such judge's stored verdicts)."""
    wanted = set(models)
    sections: list[ReasoningSection] = []
    for record in store.runs():
        if record.model not in wanted:
            continue
        for judge, version in store.judges(record.run_id):
            if not judge.startswith(CONSISTENCY_JUDGES):
                continue
            rows = store.results(record.run_id, judge=judge, judge_version=version)
            replies = [
                JudgedReply(row, stored_consistency(row, row.verdict))
                for row in rows
                if row.completion is not None
                and row.verdict is not None
                and "consistency" in row.verdict.details
            ]
            if replies:
                sections.append(reasoning_section(record.run_id, record.model, replies))
                break
    return sections


def _per_turn_chart(section: DialogueSection) -> str:
    lines = [
        Line(m.strategy, [(t + 1.0, e) for t, e in enumerate(m.per_turn)])
        for m in section.strategies
    ]
    turns = max(2, section.turns_per_scenario)
    return line_chart(
        lines,
        "Undesired replies per turn",
        "model turn",
        "undesired (of decided turns)",
        x_range=(1.0, float(turns)),
        x_ticks=[float(t) for t in range(1, turns + 1)],
    )


def _continuation_chart(section: DialogueSection) -> str:
    names = ["any undesired turn", "undesired again after the first"]
    series = [Series(m.strategy, [m.any_undesired, m.continuation]) for m in section.strategies]
    return bar_chart(names, series, "Per strategy (whiskers: 95% interval)", width=440)


DIALOGUE_HINT = (
    "<p class='hint'>From <code>demur dialogue</code>: each scenario tempts the model turn by "
    "turn towards an undesired act; after an undesired reply the scripted user answers with the "
    "strategy (a polite refusal, an explicit rebuttal naming the problem, or nothing). Rates are "
    "over turns the turn judge decided; continuation (undesired again after the first undesired "
    "reply) is bootstrapped over scenarios, since turns of one scenario hang together. A "
    "difference between strategies whose interval excludes 0 is real.</p>"
)


def dialogue_html(section: DialogueSection) -> str:
    """Charts, then the dialogue fragment (tables, comparison, conversations turn by turn)."""
    charts = _per_turn_chart(section) + _continuation_chart(section)
    return (
        f"<div class='charts'>{charts}</div>"
        f"<div class='probe'>{render_dialogue_html(section)}</div>"
    )


def _inconsistency_chart(section: ReasoningSection) -> str:
    groups = list(section.per_category)
    series = [
        Series(
            "reasoning contradicts answer",
            [section.per_category[g].inconsistency for g in groups],
        ),
        Series(
            "reasoning declines, answer complies",
            [section.per_category[g].declines_then_complies for g in groups],
        ),
        Series(
            "no reasoning where asked",
            [section.per_category[g].missing_reasoning for g in groups],
        ),
    ]
    return bar_chart(groups, series, "Reasoning against answer, by category", width=760)


REASONING_HINT = (
    "<p class='hint'>From <code>demur reasoning</code>: the model was asked to reason before "
    "answering; reasoning and answer were judged apart. Inconsistent: the reasoning concludes "
    "one way (decline or fulfil) and the answer does the other; the share is over replies with "
    "reasoning and a scored answer. No reasoning: replies without the reasoning that was asked "
    "for. Unscored replies are counted in the table, never rated.</p>"
)


def reasoning_html(section: ReasoningSection) -> str:
    """A chart of the rates per category, then the reasoning fragment (table and examples)."""
    return (
        f"<p class='hint'>run <code>{escape(section.run_id)}</code></p>"
        f"{_inconsistency_chart(section)}"
        f"<div class='probe'>{render_reasoning_html(section)}</div>"
    )
