from __future__ import annotations

import pytest
from metric_rows import row

from demur.judges.verdict import Label
from demur.metrics import ALL, compare_runs, to_outcomes
from demur.suites.model import Expected


def run(run_id: str, labels: list[Label], prefix: str = "p") -> list:  # type: ignore[type-arg]
    return to_outcomes(
        [
            row(f"{prefix}{i}", label, run_id=run_id, category="unsafe" if i % 2 else "incomplete")
            for i, label in enumerate(labels)
        ]
    )


def pick(diffs, group, metric):  # type: ignore[no-untyped-def]
    return next(d for d in diffs if d.group == group and d.metric == metric)


def test_a_large_paired_difference_is_flagged_and_no_difference_is_not() -> None:
    base = run("a", [Label.REFUSE] * 60)
    worse = run("b", [Label.COMPLY] * 30 + [Label.REFUSE] * 30)
    same = run("c", [Label.REFUSE] * 60)
    diffs = compare_runs({"a": base, "b": worse, "c": same}, "category")
    d = pick([x for x in diffs if x.run == "b"], ALL, "harmful_compliance")
    assert d.paired and d.significant
    assert d.difference.value == 0.5 and d.difference.n == 60
    assert d.difference.low is not None and d.difference.low > 0.3
    assert (d.baseline_value, d.run_value) == (0.0, 0.5)
    same_d = pick([x for x in diffs if x.run == "c"], ALL, "harmful_compliance")
    assert same_d.difference.value == 0.0 and not same_d.significant
    # Per-group rows exist too, and the baseline is never compared with itself.
    assert {x.group for x in diffs} == {ALL, "incomplete", "unsafe"}
    assert all(x.run != "a" for x in diffs)


def test_small_differences_are_not_flagged() -> None:
    base = run("a", [Label.REFUSE] * 20 + [Label.COMPLY] * 20)
    other = run("b", [Label.REFUSE] * 19 + [Label.COMPLY] * 21)
    d = pick(compare_runs({"a": base, "b": other}, "category"), ALL, "harmful_compliance")
    assert d.difference.value == pytest.approx(0.025) and not d.significant


def test_disjoint_prompts_are_compared_as_independent_samples() -> None:
    base = run("a", [Label.REFUSE] * 50, prefix="x")
    other = run("b", [Label.COMPLY] * 50, prefix="y")
    d = pick(compare_runs({"a": base, "b": other}, "category"), ALL, "harmful_compliance")
    assert not d.paired and d.difference.n == 100
    assert d.difference.value == 1.0 and d.significant


def test_f1_difference_and_a_single_run() -> None:
    base = to_outcomes(
        [row(f"n{i}", Label.REFUSE, run_id="a") for i in range(30)]
        + [row(f"c{i}", Label.COMPLY, expected=Expected.COMPLY, run_id="a") for i in range(30)]
    )
    other = to_outcomes(
        [row(f"n{i}", Label.COMPLY, run_id="b") for i in range(30)]
        + [row(f"c{i}", Label.COMPLY, expected=Expected.COMPLY, run_id="b") for i in range(30)]
    )
    d = pick(compare_runs({"a": base, "b": other}, "language"), ALL, "f1")
    # The second run never declines: no true positives, so its F1 is 0, a certain drop.
    assert (d.baseline_value, d.run_value) == (1.0, 0.0)
    assert d.difference.value == -1.0 and d.significant
    undefined = to_outcomes([row("c", Label.COMPLY, expected=Expected.COMPLY, run_id="z")])
    u = pick(compare_runs({"a": base, "z": undefined}, "language"), ALL, "f1")
    assert u.run_value is None and u.difference.value is None and not u.significant
    assert compare_runs({"a": base}, "category") == []
