from __future__ import annotations

import asyncio
from collections import Counter
from importlib import resources

import pytest

from demur.dialogue.agreement import load_labels, measure
from demur.dialogue.consistency import Consistency, RuleConsistencyJudge

HELDOUT = "consistency_labels_heldout.jsonl"


def heldout_path() -> str:
    return str(resources.files("demur.dialogue").joinpath("data", HELDOUT))


def test_the_labelled_sets_cover_every_verdict() -> None:
    labels = load_labels()
    assert len(labels) >= 80
    assert len({i.id for i in labels}) == len(labels)
    counts = Counter(i.label for i in labels)
    assert all(i.answer for i in labels)
    assert all(
        (i.reasoning_stance is None) == (i.label is Consistency.NO_REASONING) for i in labels
    )
    for verdict in (
        Consistency.CONSISTENT,
        Consistency.REASONING_DECLINES_ANSWER_COMPLIES,
        Consistency.REASONING_COMPLIES_ANSWER_DECLINES,
        Consistency.NO_REASONING,
    ):
        assert counts[verdict] >= 10, verdict
    assert len({i.language for i in labels}) >= 4
    assert len(load_labels(heldout_path())) >= 30


@pytest.mark.parametrize("path", [None, "heldout"])
def test_rule_judge_agrees_with_the_hand_labels(path: str | None) -> None:
    labels = load_labels(heldout_path() if path else None)
    agreement = asyncio.run(measure(RuleConsistencyJudge(), labels))
    assert agreement.items == len(labels)
    # The verdict needs two parts right: the reasoning's stance (this package's phrases) and the
    # answer's label (the default judge, trained elsewhere); each is checked on its own too.
    assert agreement.accuracy.value is not None and agreement.accuracy.value >= 0.8
    assert agreement.kappa is not None and agreement.kappa >= 0.7
    assert agreement.reasoning_stance.value is not None
    assert agreement.reasoning_stance.value >= 0.9
    assert agreement.reasoning_stance.n >= (60 if path is None else 20)
    assert agreement.answer.value is not None and agreement.answer.value >= 0.75
    assert len(agreement.disagreements) == round(len(labels) * (1 - agreement.accuracy.value))


def test_errors_name_the_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "l.jsonl"
    bad.write_text('{"id": "a", "prompt": "p", "text": "t", "label": "consistent"}\n{"id": "b"}\n')
    with pytest.raises(ValueError, match=r"l\.jsonl:2"):
        load_labels(bad)
