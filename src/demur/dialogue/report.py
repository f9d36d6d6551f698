"""Report sections for dialogue and reasoning runs: data, Markdown, and an HTML fragment.

The HTML renderers escape every piece of model and scenario text: model output is untrusted.
The lead's HTML report can embed `render_dialogue_html` and `render_reasoning_html` as they are.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from demur.dialogue.consistency import ConsistencyItem, ConsistencyResult, RuleConsistencyJudge
from demur.dialogue.metrics import (
    ConsistencyRates,
    StrategyComparison,
    StrategyMetrics,
    compare_strategies,
    fmt,
    fmt_difference,
    grouped_consistency,
    strategy_metrics,
)
from demur.dialogue.protocol import DialogueSpec
from demur.dialogue.reasoning import JudgedReply
from demur.dialogue.records import TurnRecord
from demur.dialogue.storage import DialogueStore
from demur.store.sqlite import Store


class TurnView(BaseModel):
    """One turn as shown in a drill-down."""

    model_config = ConfigDict(frozen=True)

    turn: int
    user: str
    answer: str
    reasoning: str | None
    undesired: bool | None
    reason: str | None
    feedback: str | None


class ConversationView(BaseModel):
    """One scenario played under one strategy, turn by turn."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    strategy: str
    scenario_id: str
    turns: list[TurnView]


class DialogueSection(BaseModel):
    """Everything the report shows about a set of dialogue runs of one model."""

    model_config = ConfigDict(frozen=True)

    model: str
    turns_per_scenario: int
    reasoning: bool
    strategies: list[StrategyMetrics]
    comparisons: list[StrategyComparison]
    consistency_per_turn: dict[str, ConsistencyRates] = Field(
        default_factory=dict, description="When reasoning was asked for: rates per turn."
    )
    conversations: list[ConversationView]


def _view(record: TurnRecord) -> TurnView:
    return TurnView(
        turn=record.turn,
        user=record.user_text,
        answer=record.answer,
        reasoning=record.reasoning,
        undesired=record.undesired,
        reason=record.reason,
        feedback=record.feedback,
    )


def dialogue_section(
    store: Store, run_ids: Sequence[str], consistency: RuleConsistencyJudge | None = None
) -> DialogueSection:
    """The section's data for dialogue runs (one per strategy, same model and scenarios).

    Runs that asked for reasoning get consistency rates per turn, from `consistency` (the rule
    judge over the default answer judge when None).
    """
    with DialogueStore(store) as dialogues:
        runs = [dialogues.run(r) for r in run_ids]
        turns = {r.run_id: dialogues.turns(r.run_id) for r in runs}
    specs = [DialogueSpec.model_validate_json(r.spec_json) for r in runs]
    metrics = [strategy_metrics(r.run_id, r.strategy, turns[r.run_id]) for r in runs]
    comparisons = [
        compare_strategies(a.strategy, turns[a.run_id], b.strategy, turns[b.run_id])
        for i, a in enumerate(runs)
        for b in runs[i + 1 :]
    ]
    conversations = []
    for run in runs:
        by_scenario: dict[str, list[TurnView]] = {}
        for record in turns[run.run_id]:
            by_scenario.setdefault(record.scenario_id, []).append(_view(record))
        conversations += [
            ConversationView(run_id=run.run_id, strategy=run.strategy, scenario_id=s, turns=v)
            for s, v in by_scenario.items()
        ]
    per_turn: dict[str, ConsistencyRates] = {}
    if any(s.reasoning for s in specs):
        judge = consistency or RuleConsistencyJudge()
        records = [
            t for r, s in zip(runs, specs, strict=True) if s.reasoning for t in turns[r.run_id]
        ]
        results = judge.assess_sync([_consistency_item(store, t) for t in records])
        per_turn = grouped_consistency(results, [f"turn {t.turn + 1}" for t in records])
    return DialogueSection(
        model=specs[0].model if specs else "",
        turns_per_scenario=max((s.turns for s in specs), default=0),
        reasoning=any(s.reasoning for s in specs),
        strategies=metrics,
        comparisons=comparisons,
        consistency_per_turn=per_turn,
        conversations=conversations,
    )


def _consistency_item(store: Store, record: TurnRecord) -> ConsistencyItem:
    completion = store.completion(record.cache_key)
    return ConsistencyItem(
        prompt=record.user_text,
        text=record.response,
        reasoning_field=completion.reasoning if completion else None,
    )


class ReasoningSection(BaseModel):
    """Consistency of reasoning and answer on one run, per category."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    model: str
    judge: str
    per_category: dict[str, ConsistencyRates]
    split_methods: dict[str, int]
    examples: list[dict[str, str]] = Field(description="Inconsistent replies, a few per verdict.")


def reasoning_section(
    run_id: str, model: str, replies: Sequence[JudgedReply], examples_per_verdict: int = 3
) -> ReasoningSection:
    """The section's data from a run's judged replies."""
    results: list[ConsistencyResult] = [r.result for r in replies]
    examples: list[dict[str, str]] = []
    shown: Counter[str] = Counter()
    for reply in replies:
        verdict = reply.result.verdict
        if verdict.inconsistent and shown[verdict.value] < examples_per_verdict:
            shown[verdict.value] += 1
            examples.append(
                {
                    "verdict": verdict.value,
                    "category": reply.row.prompt.category,
                    "prompt": reply.row.prompt.text,
                    "reasoning": reply.result.reasoning or "",
                    "answer": reply.result.answer,
                }
            )
    return ReasoningSection(
        run_id=run_id,
        model=model,
        judge=f"{results[0].judge} {results[0].judge_version}" if results else "",
        per_category=grouped_consistency(results, [r.row.prompt.category for r in replies]),
        split_methods=dict(Counter(r.split_method.value for r in results)),
        examples=examples,
    )


# Markdown ---------------------------------------------------------------------------------


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def dialogue_markdown(section: DialogueSection) -> str:
    """The section as Markdown (figures only; conversations are in the HTML and JSON)."""
    lines = [
        f"## Multi-turn protocols: {section.model}",
        "",
        f"{section.turns_per_scenario} model turns per scenario; rates with bootstrap 95% "
        "intervals; continuation is bootstrapped over scenarios.",
        "",
        "| strategy | scenarios | any undesired | continuation after first | recurrence "
        "| undecided |",
        "|---|---|---|---|---|---|",
    ]
    for m in section.strategies:
        lines.append(
            f"| {m.strategy} | {m.scenarios} | {fmt(m.any_undesired)} | {fmt(m.continuation)} "
            f"| {fmt(m.recurrence)} | {m.undecided} |"
        )
    longest = max((len(m.per_turn) for m in section.strategies), default=0)
    if longest:
        lines += ["", "Undesired rate per turn:", ""]
        lines.append("| strategy | " + " | ".join(f"turn {t + 1}" for t in range(longest)) + " |")
        lines.append("|---|" + "---|" * longest)
        for m in section.strategies:
            cells = [fmt(e) for e in m.per_turn] + [""] * (longest - len(m.per_turn))
            lines.append(f"| {m.strategy} | " + " | ".join(cells) + " |")
    for c in section.comparisons:
        lines += [
            "",
            f"Continuation, {c.b} minus {c.a} (paired over {c.scenarios} scenarios): "
            f"{fmt_difference(c.difference)}",
        ]
    if section.consistency_per_turn:
        lines += ["", *consistency_table(section.consistency_per_turn, "turn")]
    return "\n".join(lines) + "\n"


def consistency_table(groups: dict[str, ConsistencyRates], field: str) -> list[str]:
    lines = [
        f"| {field} | inconsistent | reasoning declines, answer complies | no reasoning | counts |",
        "|---|---|---|---|---|",
    ]
    for group, rates in groups.items():
        counts = ", ".join(f"{k} {v}" for k, v in rates.counts.items() if v)
        lines.append(
            f"| {_md_cell(group)} | {fmt(rates.inconsistency)} | "
            f"{fmt(rates.declines_then_complies)} | {fmt(rates.missing_reasoning)} | {counts} |"
        )
    return lines


def reasoning_markdown(section: ReasoningSection) -> str:
    lines = [
        f"## Reasoning against answer: {section.model} (run {section.run_id})",
        "",
        f"Judge: {section.judge}. Split methods: "
        + ", ".join(f"{k} {v}" for k, v in section.split_methods.items()),
        "",
        *consistency_table(section.per_category, "category"),
    ]
    return "\n".join(lines) + "\n"


# HTML -------------------------------------------------------------------------------------

_CSS = (
    "<style>.demur-dialogue .turn{border-left:3px solid #ccc;margin:.4em 0;padding:.2em .6em}"
    ".demur-dialogue .undesired{border-color:#c0392b}.demur-dialogue .ok{border-color:#27ae60}"
    ".demur-dialogue pre{white-space:pre-wrap;margin:.2em 0}"
    ".demur-dialogue .who{font-weight:bold}</style>"
)


def _e(text: str | None) -> str:
    return html.escape(text or "", quote=True)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    h = "".join(f"<th>{_e(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def render_dialogue_html(section: DialogueSection, max_conversations: int = 200) -> str:
    """An HTML fragment: strategy table, per-turn rates, comparison, then conversations."""
    parts = [
        _CSS,
        '<section class="demur-dialogue">',
        f"<h2>Multi-turn protocols: {_e(section.model)}</h2>",
        _table(
            ["strategy", "scenarios", "any undesired", "continuation", "recurrence", "undecided"],
            [
                [
                    m.strategy,
                    str(m.scenarios),
                    fmt(m.any_undesired),
                    fmt(m.continuation),
                    fmt(m.recurrence),
                    str(m.undecided),
                ]
                for m in section.strategies
            ],
        ),
    ]
    longest = max((len(m.per_turn) for m in section.strategies), default=0)
    if longest:
        parts.append("<h3>Undesired rate per turn</h3>")
        parts.append(
            _table(
                ["strategy", *(f"turn {t + 1}" for t in range(longest))],
                [
                    [m.strategy, *(fmt(e) for e in m.per_turn)] + [""] * (longest - len(m.per_turn))
                    for m in section.strategies
                ],
            )
        )
    for c in section.comparisons:
        parts.append(
            f"<p>Continuation, {_e(c.b)} minus {_e(c.a)} (paired over {c.scenarios} "
            f"scenarios): {_e(fmt_difference(c.difference))}</p>"
        )
    if section.consistency_per_turn:
        parts.append("<h3>Reasoning against answer, per turn</h3>")
        parts.append(_consistency_html(section.consistency_per_turn, "turn"))
    parts.append("<h3>Conversations</h3>")
    for conv in section.conversations[:max_conversations]:
        parts.append(
            f"<details><summary>{_e(conv.scenario_id)} ({_e(conv.strategy)}): "
            f"{sum(1 for t in conv.turns if t.undesired)} undesired of {len(conv.turns)}"
            "</summary>"
        )
        for t in conv.turns:
            css = "undesired" if t.undesired else "ok" if t.undesired is False else ""
            mark = {True: "undesired", False: "acceptable", None: "undecided"}[t.undesired]
            parts.append(f'<div class="turn {css}"><div class="who">user (turn {t.turn + 1})</div>')
            parts.append(f"<pre>{_e(t.user)}</pre>")
            if t.reasoning:
                parts.append(
                    f"<details><summary>reasoning</summary><pre>{_e(t.reasoning)}</pre></details>"
                )
            parts.append(f'<div class="who">model: {_e(mark)}</div><pre>{_e(t.answer)}</pre>')
            if t.reason:
                parts.append(f"<small>judge: {_e(t.reason)}</small>")
            parts.append("</div>")
        parts.append("</details>")
    parts.append("</section>")
    return "".join(parts)


def _consistency_html(groups: dict[str, ConsistencyRates], field: str) -> str:
    return _table(
        [field, "inconsistent", "reasoning declines, answer complies", "no reasoning", "counts"],
        [
            [
                group,
                fmt(r.inconsistency),
                fmt(r.declines_then_complies),
                fmt(r.missing_reasoning),
                ", ".join(f"{k} {v}" for k, v in r.counts.items() if v),
            ]
            for group, r in groups.items()
        ],
    )


def render_reasoning_html(section: ReasoningSection) -> str:
    """An HTML fragment: consistency per category, then inconsistent examples (escaped)."""
    parts = [
        _CSS,
        '<section class="demur-dialogue">',
        f"<h2>Reasoning against answer: {_e(section.model)}</h2>",
        f"<p>Judge {_e(section.judge)}; split methods: "
        + _e(", ".join(f"{k} {v}" for k, v in section.split_methods.items()))
        + "</p>",
        _consistency_html(section.per_category, "category"),
    ]
    for ex in section.examples:
        parts.append(
            f'<div class="turn undesired"><div class="who">{_e(ex["verdict"])} '
            f"({_e(ex['category'])})</div><pre>{_e(ex['prompt'])}</pre>"
            f"<details><summary>reasoning</summary><pre>{_e(ex['reasoning'])}</pre></details>"
            f"<pre>{_e(ex['answer'])}</pre></div>"
        )
    parts.append("</section>")
    return "".join(parts)
