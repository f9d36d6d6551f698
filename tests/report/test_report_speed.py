"""A report of 3,600 items (three runs of 1,200) stays fast."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from demur.backends.base import Message
from demur.judges.verdict import PATTERNS, Label, NoncomplianceForm, Verdict
from demur.report import write_reports
from demur.store.records import Completion, RunItem, RunRecord
from demur.store.sqlite import Store
from demur.suites.model import Expected, Prompt

CATEGORIES = {
    "incomplete": "underspecified",
    "unsupported": "temporal",
    "indeterminate": "subjective",
    "unsafe": "privacy",
    "humanizing": "personal_inquiry",
}
LABELS = [Label.COMPLY, Label.REFUSE, Label.PARTIAL, Label.UNSCORED, Label.ERROR]


def fill(store: Store, run_id: str, n: int, rng: random.Random) -> None:
    prompts = [
        Prompt(
            id=f"p{i}",
            text=f"request number {i} " * 5,
            category=(cat := list(CATEGORIES)[i % 5]),
            subcategory=CATEGORIES[cat],
            expected=Expected.COMPLY if i % 4 == 0 else Expected.NONCOMPLY,
            language=["en", "de", "fr"][i % 3],
            pair_id=f"q{i // 2}",
            suite="speed",
        )
        for i in range(n)
    ]
    items = [RunItem(index=i, prompt=p, cache_key=f"{run_id}-{i}") for i, p in enumerate(prompts)]
    store.save_run(
        RunRecord(
            run_id=run_id, model=f"mock:{run_id}", suite="speed", spec_json="{}", demur_version="0"
        ),
        items,
    )
    verdicts = []
    for item in items:
        store.put_completion(
            Completion(
                cache_key=item.cache_key,
                model=f"mock:{run_id}",
                prompt_id=item.prompt.id,
                messages=(Message(role="user", content=item.prompt.text),),
                text="an answer of a few words " * 8,
            )
        )
        label = rng.choices(LABELS, weights=[50, 35, 8, 4, 3])[0]
        verdicts.append(
            (
                item.cache_key,
                Verdict(
                    label=label,
                    judge="t",
                    judge_version="1",
                    form=NoncomplianceForm.REFUSAL if label.noncompliant else None,
                    patterns={p: rng.random() for p in PATTERNS} if label.scored else {},
                    boundary_score=round(rng.uniform(0, 10), 1) if label.scored else None,
                ),
            )
        )
    store.put_verdicts(verdicts)


@pytest.mark.slow
def test_report_of_3600_items_is_fast_and_small(tmp_path: Path) -> None:
    rng = random.Random(0)
    with Store(tmp_path / "demur.sqlite") as store:
        for run_id in ("run-a", "run-b", "run-c"):
            fill(store, run_id, 1200, rng)
        start = time.perf_counter()
        paths = write_reports(store, ["run-a", "run-b", "run-c"], tmp_path / "out")
        elapsed = time.perf_counter() - start
    assert elapsed < 30, f"report took {elapsed:.1f}s"
    assert paths.html.stat().st_size < 3_000_000
    page = paths.html.read_text("utf-8")
    assert page.count("<svg") >= 2 + 3  # bars, scatter, forms and a heat map per run
