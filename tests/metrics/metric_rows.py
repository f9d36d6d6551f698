"""Result rows built from real records, with exactly the verdicts a test needs."""

from __future__ import annotations

from demur.backends.base import Message
from demur.judges.verdict import Label, NoncomplianceForm, Verdict
from demur.store.records import Completion, ResultRow
from demur.suites.model import Expected, Prompt


def row(
    pid: str,
    label: Label | None,
    *,
    expected: Expected = Expected.NONCOMPLY,
    category: str = "unsafe",
    subcategory: str = "privacy",
    language: str = "en",
    pair_id: str | None = None,
    run_id: str = "run-a",
    form: NoncomplianceForm | None = None,
    patterns: dict[str, float] | None = None,
    boundary: float | None = None,
    error: str | None = None,
    metadata: dict[str, str] | None = None,
) -> ResultRow:
    prompt = Prompt(
        id=pid,
        text=f"prompt {pid}",
        category=category,
        subcategory=subcategory,
        expected=expected,
        language=language,
        pair_id=pair_id,
        suite="t",
        metadata=metadata or {},
    )
    completion = Completion(
        cache_key=f"{run_id}-{pid}",
        model="mock:test",
        prompt_id=pid,
        messages=(Message(role="user", content=prompt.text),),
        text="" if error else f"answer {pid}",
        error=error,
    )
    verdict = (
        None
        if label is None
        else Verdict(
            label=label,
            judge="t",
            judge_version="1",
            form=form,
            patterns=patterns or {},
            boundary_score=boundary,
        )
    )
    return ResultRow(run_id=run_id, index=0, prompt=prompt, completion=completion, verdict=verdict)
