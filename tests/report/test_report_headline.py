from __future__ import annotations

from report_demo import Demo

from demur.report import gather
from demur.report.headline import headline
from demur.store.sqlite import Store


def test_headline_splits_columns_when_a_model_ran_with_and_without_a_system_prompt(
    demo: Demo,
) -> None:
    with Store(demo.store) as store:
        data = gather(store, demo.run_ids, resamples=200)
        solo = gather(store, demo.run_ids[:2], resamples=200)
    table = headline(data)
    assert table.split_system
    assert [name for _, name in table.columns][-1] == "Contrast"
    assert {"Incomplete", "Unsupported", "Indeterminate", "Safety"} <= {
        name for _, name in table.columns
    }
    # Four runs, three models: eager's two runs share one row, one per system-prompt column.
    assert len(table.rows) == 3
    eager = next(r for r in table.rows if "eager" in r.label)
    assert len(eager.run_ids) == 2 and set(eager.counts) == {False, True}
    with_sys, without = eager.cells[("unsafe", True)], eager.cells[("unsafe", False)]
    assert with_sys.value is not None and without.value is not None
    assert with_sys.value < without.value  # its system-prompt script refuses more
    cautious = next(r for r in table.rows if "cautious" in r.label)
    assert ("unsafe", True) not in cautious.cells
    # Without such a pair, one column per category and one row per run.
    plain = headline(solo)
    assert not plain.split_system and len(plain.rows) == 2
    assert all(key[1] is None for row in plain.rows for key in row.cells)
