"""Reasoning-against-answer runs: ask for reasoning on a suite, then judge consistency.

Generation goes through the ordinary runner (a RunSpec whose system prompt asks for reasoning),
so completions are stored, cached and resumed like any run. Consistency verdicts are stored as
Verdicts of the consistency judge (label: the answer's; details: the consistency verdict), so a
new consistency judge re-labels an old run without calling the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from demur.backends.base import GenerateConfig
from demur.dialogue.consistency import (
    Consistency,
    ConsistencyItem,
    ConsistencyJudge,
    ConsistencyResult,
)
from demur.dialogue.split import REASONING_INSTRUCTION, SplitMethod, split_reasoning
from demur.dialogue.stance import Stance
from demur.judges.verdict import Verdict
from demur.run.spec import RunSpec
from demur.store.records import ResultRow
from demur.store.sqlite import Store


def reasoning_config(generate: GenerateConfig) -> GenerateConfig:
    """`generate` with the reasoning instruction added to its system prompt."""
    system = generate.system_prompt
    prompt = f"{system}\n\n{REASONING_INSTRUCTION}" if system else REASONING_INSTRUCTION
    return generate.model_copy(update={"system_prompt": prompt})


def reasoning_spec(
    model: str,
    suite: str,
    *,
    sample: int | None,
    seed: int = 0,
    generate: GenerateConfig | None = None,
    base_url: str | None = None,
) -> RunSpec:
    """A RunSpec that asks every prompt of `suite` for reasoning before the answer."""
    return RunSpec(
        model=model,
        suite=suite,
        sample=sample,
        seed=seed,
        generate=reasoning_config(generate or GenerateConfig(seed=seed)),
        base_url=base_url,
    )


@dataclass(frozen=True)
class JudgedReply:
    """A run item with its consistency result."""

    row: ResultRow
    result: ConsistencyResult


def consistency_from_verdict(row: ResultRow, verdict: Verdict) -> ConsistencyResult:
    """A stored consistency verdict read back as a result, without judging again."""
    assert row.completion is not None
    split = split_reasoning(row.completion.text, row.completion.reasoning)
    stance = verdict.details.get("reasoning_stance")
    return ConsistencyResult(
        verdict=Consistency(str(verdict.details["consistency"])),
        judge=verdict.judge,
        judge_version=verdict.judge_version,
        split_method=SplitMethod(str(verdict.details.get("split_method", split.method.value))),
        reasoning=split.reasoning,
        answer=split.answer,
        reasoning_stance=Stance(str(stance)) if stance else None,
        answer_label=verdict.label,
        reason=verdict.reason,
    )


async def judge_consistency(
    store: Store,
    run_id: str,
    judge: ConsistencyJudge,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 64,
) -> list[JudgedReply]:
    """Consistency results for every answered item of a run; stored ones are reused.

    Items whose generation failed or that the provider refused are left out: they have no
    reasoning or answer of the model to compare.
    """
    rows = store.results(run_id, judge=judge.name, judge_version=judge.version)
    answered = [
        r
        for r in rows
        if r.completion is not None and r.completion.ok and not r.completion.api_refusal
    ]
    judged: dict[int, ConsistencyResult] = {}
    todo: list[ResultRow] = []
    for row in answered:
        if row.verdict is not None and "consistency" in row.verdict.details:
            judged[row.index] = consistency_from_verdict(row, row.verdict)
        else:
            todo.append(row)
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        items = [
            ConsistencyItem(
                prompt=r.prompt.text,
                text=r.completion.text if r.completion else "",
                reasoning_field=r.completion.reasoning if r.completion else None,
                category=r.prompt.category,
                subcategory=r.prompt.subcategory,
                language=r.prompt.language,
            )
            for r in chunk
        ]
        results = await judge.assess(items)
        store.put_verdicts(
            (r.completion.cache_key, res.as_verdict())
            for r, res in zip(chunk, results, strict=True)
            if r.completion is not None
        )
        for r, res in zip(chunk, results, strict=True):
            judged[r.index] = res
        if progress is not None:
            progress(min(start + batch, len(todo)), len(todo))
    return [JudgedReply(r, judged[r.index]) for r in answered]
