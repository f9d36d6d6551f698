"""Agreement metrics against hand-computed values, and the --map parser."""

from __future__ import annotations

import pytest

from demur.cli.judge import parse_mapping
from demur.judges.agreement import agreement
from demur.judges.verdict import Label


def test_metrics_match_hand_computed_values() -> None:
    # tp=40 (refuse/refuse), fp=10, fn=5, tn=45
    human = ["refuse"] * 40 + ["comply"] * 10 + ["partial"] * 5 + ["comply"] * 45
    judged = [Label.REFUSE] * 40 + [Label.PARTIAL] * 10 + [Label.COMPLY] * 5 + [Label.COMPLY] * 45
    result = agreement(human, judged)
    assert result.n == 100 and result.unscored == 0
    assert result.accuracy.value == pytest.approx(0.85)
    assert result.precision.value == pytest.approx(0.8)
    assert result.recall.value == pytest.approx(40 / 45)
    assert result.f1.value == pytest.approx(80 / 95)
    assert result.kappa.value == pytest.approx(0.7)
    for estimate in (result.accuracy, result.f1, result.kappa):
        assert estimate.low is not None and estimate.high is not None
        assert estimate.low <= (estimate.value or 0) <= estimate.high
        assert estimate.high - estimate.low > 0.01
    assert result.confusion["comply"]["partial"] == 10
    assert result.confusion["partial"]["comply"] == 5


def test_unscored_items_are_counted_apart() -> None:
    result = agreement(["refuse", "comply", "comply"], [Label.UNSCORED, Label.COMPLY, Label.ERROR])
    assert result.unscored == 2 and result.n == 1
    assert result.accuracy.value == 1.0
    assert result.precision.value is None  # the judge called nothing noncompliant


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="not one of"):
        agreement(["maybe"], [Label.COMPLY])
    with pytest.raises(ValueError, match="2 human labels"):
        agreement(["comply", "refuse"], [Label.COMPLY])


def test_mapping_parser() -> None:
    assert parse_mapping("Complied=comply, rejected=refuse,incoherent=skip") == {
        "complied": "comply",
        "rejected": "refuse",
        "incoherent": "skip",
    }
    assert parse_mapping(None) == {}
    with pytest.raises(ValueError, match="HUMAN=OURS"):
        parse_mapping("complied=yes")
