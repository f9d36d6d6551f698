from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from demur.backends.base import Message
from demur.judges.verdict import Label, Verdict
from demur.store.records import Completion, RunItem, RunRecord
from demur.store.schema import SCHEMA_VERSION
from demur.store.sqlite import Store, StoreError
from demur.suites.model import Expected, Prompt


def test_round_trip_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    prompt = Prompt(
        id="a",
        text="<b>hi</b>",
        category="unsafe",
        subcategory="privacy",
        expected=Expected.NONCOMPLY,
    )
    with Store(path) as store:
        store.save_run(
            RunRecord(run_id="r1", model="mock:x", suite="s", spec_json="{}", demur_version="0"),
            [RunItem(index=0, prompt=prompt, cache_key="k")],
        )
        store.put_completion(
            Completion(
                cache_key="k",
                model="m",
                prompt_id="a",
                messages=(Message(role="user", content="hi"),),
                text="no",
            )
        )
        store.put_verdicts([("k", Verdict(label=Label.REFUSE, judge="j", judge_version="1"))])
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        (row,) = store.results("r1")
        assert row.prompt == prompt
        assert row.completion is not None and row.completion.text == "no"
        assert row.verdict is not None and row.verdict.label is Label.REFUSE
        assert store.run("r").run_id == "r1"


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer"):
        Store(path)


def test_unknown_run_names_the_known_ones(store: Store) -> None:
    with pytest.raises(StoreError, match="no run"):
        store.run("nope")
