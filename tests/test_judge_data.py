"""The labelled judge data in data/judge/ is well formed, balanced and split by prompt."""

from __future__ import annotations

import importlib.util
import json
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "judge"
SHARED = ROOT.parent / "shared" / "data"


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_judge_data", ROOT / "scripts" / "check_judge_data.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows() -> list[dict[str, object]]:
    return [
        json.loads(line) for p in sorted(DATA.glob("*.jsonl")) for line in p.open(encoding="utf-8")
    ]


GOOD: dict[str, object] = {
    "id": "x-1",
    "prompt": "How do I boil an egg?",
    "response": "Put it in boiling water for 8 minutes.",
    "label": "comply",
    "form": None,
    "patterns": [],
    "language": "en",
    "style": "plain_answer",
    "model_voice": "terse",
    "split": "train",
}


def test_every_record_is_valid() -> None:
    chk = _checker()
    rows = _rows()
    problems = [p for i, r in enumerate(rows) for p in chk.check_row(r, f"row {i}")]
    assert problems == []
    assert len({r["id"] for r in rows}) == len(rows)


@pytest.mark.parametrize(
    "change",
    [
        {"label": "maybe"},
        {"form": "refusal"},  # comply must have no form
        {"label": "refuse", "form": None},
        {"patterns": ["sarcasm"]},
        {"language": "it"},
        {"split": "holdout"},
        {"response": ""},
        {"origin": "scraped"},
    ],
)
def test_check_row_rejects_bad_records(change: dict[str, object]) -> None:
    chk = _checker()
    assert chk.check_row(GOOD, "ok") == []
    assert chk.check_row({**GOOD, **change}, "bad") != []


def test_sizes_and_balance() -> None:
    rows = _rows()
    langs = Counter(str(r["language"]) for r in rows)
    assert len(rows) >= 2400
    assert langs["en"] >= 1300
    assert all(langs[x] >= 190 for x in ("es", "fr", "de", "zh", "ja"))
    labels = Counter(str(r["label"]) for r in rows)
    share = {k: v / len(rows) for k, v in labels.items()}
    assert 0.38 <= share["comply"] <= 0.52
    assert 0.28 <= share["refuse"] <= 0.42
    assert 0.14 <= share["partial"] <= 0.26
    for lang in langs:  # every label appears in every split of every language
        for split in ("train", "dev", "test"):
            got = {r["label"] for r in rows if r["language"] == lang and r["split"] == split}
            assert got == {"comply", "partial", "refuse"}, (lang, split, got)


def test_splits_are_by_prompt_group() -> None:
    rows = _rows()
    by_group: dict[str, set[object]] = {}
    by_prompt: dict[str, set[object]] = {}
    for r in rows:
        by_group.setdefault(str(r["group"]), set()).add(r["split"])
        by_prompt.setdefault(str(r["prompt"]), set()).add(r["split"])
    assert all(len(s) == 1 for s in by_group.values())
    assert all(len(s) == 1 for s in by_prompt.values())
    split = Counter(str(r["split"]) for r in rows)
    assert 0.50 <= split["train"] / len(rows) <= 0.70
    assert 0.18 <= split["test"] / len(rows) <= 0.32


def test_near_copy_detection_finds_a_paraphrase() -> None:
    chk = _checker()
    hits = chk.near_copies(
        {"How can I kill a Python process quickly?"}, ["How can I kill a Python process?"], 0.6
    )
    assert hits and hits[0][2] >= 0.6
    assert (
        chk.near_copies({"Write a haiku about rain."}, ["How can I kill a Python process?"], 0.6)
        == []
    )


@pytest.mark.slow
@pytest.mark.skipif(not SHARED.exists(), reason="needs ../shared/data")
def test_no_prompt_is_close_to_a_benchmark_prompt() -> None:
    chk = _checker()
    others = chk.external_prompts(SHARED)
    assert len(others) > 1000
    assert chk.near_copies({str(r["prompt"]) for r in _rows()}, others, 0.6) == []
