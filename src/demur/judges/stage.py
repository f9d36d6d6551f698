"""The judging stage: label a stored run's completions without touching the model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from demur.judges.base import Judge, JudgeItem
from demur.judges.verdict import Label, Verdict
from demur.store.records import Completion
from demur.store.sqlite import Store
from demur.suites.model import Prompt

BATCH = 256


@dataclass(frozen=True)
class JudgeSummary:
    """How many completions a judging pass labelled, and how many it found labelled."""

    judge: str
    judge_version: str
    judged: int
    already: int


def run_verdict(completion: Completion, judge: Judge) -> Verdict | None:
    """The verdict the run itself dictates (error, provider refusal), or None to ask the judge."""
    if completion.error is not None:
        return Verdict(
            label=Label.ERROR,
            judge=judge.name,
            judge_version=judge.version,
            reason=completion.error,
        )
    if completion.api_refusal is not None:
        return Verdict(
            label=Label.API_REFUSAL,
            judge=judge.name,
            judge_version=judge.version,
            reason=completion.api_refusal,
        )
    return None


def judge_item(prompt: Prompt, completion: Completion) -> JudgeItem:
    return JudgeItem(
        prompt=prompt.text,
        response=completion.text,
        language=prompt.language,
        category=prompt.category,
        subcategory=prompt.subcategory,
        expected=prompt.expected.value,
    )


def judge_run(
    store: Store,
    run_id: str,
    judge: Judge,
    *,
    progress: Callable[[int, int], None] | None = None,
    force: bool = False,
) -> JudgeSummary:
    """Store a verdict of `judge` for every completion of the run that lacks one."""
    done = set() if force else store.judged_keys(judge.name, judge.version)
    todo: dict[str, tuple[Prompt, Completion]] = {}
    already = 0
    for row in store.results(run_id, judge=judge.name, judge_version=judge.version):
        if row.completion is None:
            continue
        if row.completion.cache_key in done:
            already += 1
            continue
        todo.setdefault(row.completion.cache_key, (row.prompt, row.completion))
    keys = list(todo)
    finished = 0
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        verdicts: dict[str, Verdict] = {}
        ask: list[str] = []
        for key in batch:
            fixed = run_verdict(todo[key][1], judge)
            if fixed is None:
                ask.append(key)
            else:
                verdicts[key] = fixed
        answers = judge.judge([judge_item(*todo[key]) for key in ask]) if ask else []
        verdicts.update(zip(ask, answers, strict=True))
        store.put_verdicts((key, verdicts[key]) for key in batch)
        finished += len(batch)
        if progress is not None:
            progress(finished, len(keys))
    return JudgeSummary(judge.name, judge.version, finished, already)
