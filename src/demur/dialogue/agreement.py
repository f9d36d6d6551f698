"""Agreement of a consistency judge with hand labels (data/consistency_labels.jsonl).

Each labelled line holds a request, a model's raw reply (and optionally a separate reasoning
field) and the verdict a person gave it. The figures are exact agreement over the verdicts, with
a bootstrap interval, Cohen's kappa, and per-verdict precision and recall.
"""

from __future__ import annotations

import json
from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from demur.dialogue.consistency import Consistency, ConsistencyItem, ConsistencyJudge
from demur.dialogue.metrics import fmt, rate
from demur.metrics.model import Estimate

BUILTIN_LABELS = "consistency_labels.jsonl"


class LabelledReply(BaseModel):
    """One hand-labelled reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    prompt: str
    text: str
    reasoning_field: str | None = None
    label: Consistency
    reasoning_stance: Literal["decline", "comply"] | None = Field(
        default=None, description="What the reasoning endorses (absent without reasoning)."
    )
    answer: Literal["decline", "comply"] | None = Field(
        default=None, description="Whether the final answer declines or complies."
    )
    language: str = "en"
    note: str | None = None


def parse_labels(text: str, source: str) -> list[LabelledReply]:
    """Labelled replies from JSONL text; errors name the source and line."""
    items: list[LabelledReply] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            items.append(LabelledReply.model_validate(json.loads(line)))
        except (ValueError, ValidationError) as exc:
            raise ValueError(f"{source}:{number}: not a valid labelled reply: {exc}") from exc
    return items


def load_labels(path: str | Path | None = None) -> list[LabelledReply]:
    """The shipped labelled set, or one from a JSONL file."""
    if path is None:
        text = resources.files("demur.dialogue").joinpath("data", BUILTIN_LABELS).read_text("utf-8")
        return parse_labels(text, f"demur/dialogue/data/{BUILTIN_LABELS}")
    return parse_labels(Path(path).read_text("utf-8"), str(path))


class ClassFigures(BaseModel):
    model_config = ConfigDict(frozen=True)

    support: int
    predicted: int
    precision: float | None
    recall: float | None


class Agreement(BaseModel):
    """A judge against hand labels."""

    model_config = ConfigDict(frozen=True)

    judge: str
    items: int
    accuracy: Estimate
    kappa: float | None
    per_class: dict[str, ClassFigures]
    confusion: dict[str, dict[str, int]]
    disagreements: list[dict[str, str]]
    reasoning_stance: Estimate = Field(
        description="Parts: the judge's reasoning stance against the labelled one, where both "
        "exist (rule judge only)."
    )
    answer: Estimate = Field(
        description="Parts: the answer judge's decline/comply against the labelled one."
    )


async def measure(judge: ConsistencyJudge, labels: list[LabelledReply]) -> Agreement:
    """Run `judge` over the labelled replies and compare."""
    results = await judge.assess(
        [
            ConsistencyItem(
                prompt=i.prompt, text=i.text, reasoning_field=i.reasoning_field, language=i.language
            )
            for i in labels
        ]
    )
    gold = [i.label for i in labels]
    said = [r.verdict for r in results]
    hits = sum(g == s for g, s in zip(gold, said, strict=True))
    n = len(labels)
    gold_counts = Counter(gold)
    said_counts = Counter(said)
    expected = sum(gold_counts[c] * said_counts[c] for c in Consistency) / (n * n) if n else 0.0
    observed = hits / n if n else 0.0
    kappa = (observed - expected) / (1 - expected) if n and expected < 1 else None
    per_class = {}
    for c in Consistency:
        tp = sum(g == c and s == c for g, s in zip(gold, said, strict=True))
        per_class[c.value] = ClassFigures(
            support=gold_counts[c],
            predicted=said_counts[c],
            precision=tp / said_counts[c] if said_counts[c] else None,
            recall=tp / gold_counts[c] if gold_counts[c] else None,
        )
    confusion: dict[str, dict[str, int]] = {}
    for g, s in zip(gold, said, strict=True):
        row = confusion.setdefault(g.value, {})
        row[s.value] = row.get(s.value, 0) + 1
    disagreements = [
        {"id": i.id, "label": i.label.value, "judge": r.verdict.value, "reason": r.reason or ""}
        for i, r in zip(labels, results, strict=True)
        if i.label != r.verdict
    ]
    name = f"{results[0].judge} {results[0].judge_version}" if results else "?"
    stance_pairs = [
        (i.reasoning_stance, r.reasoning_stance.value)
        for i, r in zip(labels, results, strict=True)
        if i.reasoning_stance and r.reasoning_stance is not None
    ]
    answer_pairs = [
        (i.answer, "decline" if r.answer_label.noncompliant else "comply")
        for i, r in zip(labels, results, strict=True)
        if i.answer and r.answer_label is not None and r.answer_label.scored
    ]
    return Agreement(
        judge=name,
        items=n,
        accuracy=rate(hits, n, "agreement", name),
        kappa=kappa,
        per_class=per_class,
        confusion=confusion,
        disagreements=disagreements,
        reasoning_stance=rate(
            sum(a == b for a, b in stance_pairs), len(stance_pairs), "stance", name
        ),
        answer=rate(sum(a == b for a, b in answer_pairs), len(answer_pairs), "answer", name),
    )


def agreement_markdown(agreement: Agreement, command: str) -> str:
    """The figures as Markdown, with the command that produced them."""
    lines = [
        f"Judge `{agreement.judge}` on {agreement.items} hand-labelled replies (`{command}`):",
        "",
        f"- exact agreement on the verdict: {fmt(agreement.accuracy)}",
        f"- Cohen's kappa: {agreement.kappa:.3f}"
        if agreement.kappa is not None
        else "- kappa: n/a",
        "",
        f"- parts: reasoning stance {fmt(agreement.reasoning_stance)}; "
        f"answer declines or complies {fmt(agreement.answer)}",
        "",
        "| verdict | labelled | judged | precision | recall |",
        "|---|---|---|---|---|",
    ]
    for name, f in agreement.per_class.items():
        p = f"{f.precision:.2f}" if f.precision is not None else "n/a"
        r = f"{f.recall:.2f}" if f.recall is not None else "n/a"
        lines.append(f"| {name} | {f.support} | {f.predicted} | {p} | {r} |")
    return "\n".join(lines) + "\n"
