"""The general-ability check: items load, scoring counts contained answers."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from demur.backends.mock import create
from demur.backends.registry import BackendOptions
from demur.train.general import GeneralItem, load_general_items, score_general


def test_items_load_and_are_unique() -> None:
    items = load_general_items()
    assert 30 <= len(items) <= 60
    assert len({i.id for i in items}) == len(items)


def test_contained_answers_score() -> None:
    item = GeneralItem(id="x", prompt="Capital of France?", answers=("Paris",))
    assert item.correct("It is paris.")
    assert not item.correct("It is Lyon.")
    strict = GeneralItem(id="y", prompt="?", answers=("APPLE",), case_sensitive=True)
    assert strict.correct("APPLE") and not strict.correct("apple")


def test_scoring_through_a_scripted_backend(tmp_path: Path) -> None:
    items = load_general_items()[:3]
    script = tmp_path / "script.jsonl"
    script.write_text(
        json.dumps({"match": items[0].prompt, "response": f"Sure: {items[0].answers[0]}."})
        + "\n"
        + json.dumps({"response": "I do not know."})
        + "\n"
    )
    backend = create(str(script), BackendOptions())
    score = asyncio.run(score_general(backend, items))
    assert (score.correct, score.total) == (1, 3)
    assert score.accuracy == 1 / 3
