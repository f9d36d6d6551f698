from __future__ import annotations

import json

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


def test_run_labels_are_short_and_unique(demo: Demo) -> None:
    with Store(demo.store) as store:
        data = gather(store, demo.run_ids, resamples=100)
    labels = [r.run.label for r in data.runs]
    assert labels == [
        "mock:cautious.jsonl",
        "mock:eager.jsonl",
        "mock:balanced.jsonl",
        "mock:eager.jsonl +sys",
    ]


def test_runs_of_one_model_get_their_run_id_when_nothing_else_tells_them_apart() -> None:
    from demur.report.data import run_labels
    from demur.store.records import RunRecord

    def record(run_id: str, system: str | None) -> RunRecord:
        spec = json.dumps({"generate": {"system_prompt": system}})
        return RunRecord(
            run_id=run_id, model="openai:/m/x", suite="s", spec_json=spec, demur_version="0"
        )

    labels = run_labels([record("aaaaaa1", None), record("bbbbbb2", None), record("c3", "be safe")])
    assert labels == {
        "aaaaaa1": "openai:x [aaaaaa]",
        "bbbbbb2": "openai:x [bbbbbb]",
        "c3": "openai:x +sys",
    }
