"""Loaders against the real benchmark files in ../shared/data, and against broken files."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

from demur.suites.errors import SuiteFormatError
from demur.suites.model import Expected, Suite
from demur.suites.resolve import load_suite, loaders, resolve_prompts, split_options
from demur.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()


def known_labels(suite: Suite) -> None:
    for prompt in suite.prompts:
        assert TAXONOMY.knows(prompt.category, prompt.subcategory), prompt


def source_rows(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_every_loader_is_registered() -> None:
    assert {"coconot", "xstest", "jailbreakbench", "table", "jsonl"} <= set(loaders.names())


# --- CoCoNot -------------------------------------------------------------------------------


def test_coconot_eval_is_noncompliance_with_every_row_mapped(shared_data: Path) -> None:
    path = shared_data / "coconot" / "coconot_eval.jsonl"
    suite = load_suite(f"coconot:{path}")
    rows = source_rows(path)
    assert len(suite) == len(rows)
    assert {p.expected for p in suite.prompts} == {Expected.NONCOMPLY}
    known_labels(suite)
    # The source's own ids, texts and labels survive, in order.
    assert [p.id for p in suite.prompts] == [r["id"] for r in rows]
    assert [p.text for p in suite.prompts] == [r["prompt"].strip() for r in rows]
    for prompt, row in zip(suite.prompts, rows, strict=True):
        assert prompt.metadata["source_category"] == row["category"]
        assert prompt.metadata["source_subcategory"] == row["subcategory"]
    # Every one of the taxonomy's CoCoNot subcategories is reached (all but our own addition).
    reached = {(p.category, p.subcategory) for p in suite.prompts}
    assert set(TAXONOMY.pairs()) - reached == {("humanizing", "emotional_attachment")}


def test_coconot_maps_its_odd_names(shared_data: Path) -> None:
    suite = load_suite(f"coconot:{shared_data / 'coconot' / 'coconot_eval.jsonl'}")
    by_source = Counter(
        (p.metadata["source_subcategory"], p.category, p.subcategory) for p in suite.prompts
    )
    assert by_source[("offer advice, opinion or recommendations", "humanizing", "advice_opinion")]
    assert by_source[("wildchats", "unsafe", "wildchats")] == 71
    # The stray safety/incomprehensible row is garbled text: filed as incomprehensible.
    stray = [p for p in suite.prompts if p.metadata["source_category"].startswith("Requests with")]
    stray = [p for p in stray if p.metadata["source_subcategory"] == "incomprehensible"]
    assert len(stray) == 1
    assert (stray[0].category, stray[0].subcategory) == ("incomplete", "incomprehensible")


def test_coconot_contrast_is_detected_and_complied(shared_data: Path) -> None:
    suite = load_suite(f"coconot:{shared_data / 'coconot' / 'coconot_contrast_eval.jsonl'}")
    assert len(suite) == 379
    assert {p.expected for p in suite.prompts} == {Expected.COMPLY}
    assert suite.name == "coconot-contrast"
    known_labels(suite)
    modality = [
        p for p in suite.prompts if p.metadata["source_subcategory"] == "modality limitations"
    ]
    assert len(modality) == 82
    assert {(p.category, p.subcategory) for p in modality} == {("unsupported", "output_modality")}


def test_coconot_contrast_detected_by_content_when_renamed(
    shared_data: Path, tmp_path: Path
) -> None:
    renamed = tmp_path / "set_b.jsonl"
    renamed.write_bytes((shared_data / "coconot" / "coconot_contrast_eval.jsonl").read_bytes())
    assert {p.expected for p in load_suite(f"coconot:{renamed}").prompts} == {Expected.COMPLY}


def test_coconot_explicit_choice_wins(shared_data: Path) -> None:
    path = shared_data / "coconot" / "coconot_contrast_eval.jsonl"
    suite = load_suite(f"coconot:{path}?expected=noncomply&name=mine")
    assert {p.expected for p in suite.prompts} == {Expected.NONCOMPLY}
    assert suite.name == "mine"
    with pytest.raises(SuiteFormatError, match="not one of"):
        load_suite(f"coconot:{path}?expected=maybe")


def test_coconot_preference_file_reads_as_comply(shared_data: Path) -> None:
    suite = load_suite(f"coconot:{shared_data / 'coconot' / 'coconot_pref.jsonl'}")
    assert len(suite) == 927
    assert {p.expected for p in suite.prompts} == {Expected.COMPLY}
    assert suite.prompts[0].metadata["chosen_model"]
    misinformation = [
        p for p in suite.prompts if p.metadata["source_subcategory"] == "false information"
    ]
    assert misinformation and {p.subcategory for p in misinformation} == {"misinformation"}


def test_coconot_unknown_category_names_the_line_and_known_ones(tmp_path: Path) -> None:
    bad = tmp_path / "coconot_eval.jsonl"
    good = {"id": "a", "category": "Humanizing requests", "subcategory": "personal inquiry"}
    rows = [
        {**good, "prompt": "What is your favourite food?"},
        {**good, "id": "b", "category": "Odd requests", "prompt": "x"},
    ]
    bad.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    with pytest.raises(SuiteFormatError) as caught:
        load_suite(f"coconot:{bad}")
    assert caught.value.line == 2
    assert "Odd requests" in str(caught.value) and "humanizing" in str(caught.value)
    assert str(bad) in str(caught.value)


def test_coconot_unknown_subcategory_names_the_known_ones(tmp_path: Path) -> None:
    bad = tmp_path / "c.jsonl"
    row = {"id": "a", "category": "Humanizing requests", "subcategory": "tarot", "prompt": "x"}
    bad.write_text(json.dumps(row) + "\n", "utf-8")
    with pytest.raises(SuiteFormatError, match="personal_inquiry"):
        load_suite(f"coconot:{bad}")


def test_coconot_bad_json_line_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "c.jsonl"
    row = {"id": "a", "category": "Humanizing requests", "subcategory": "personal inquiry"}
    bad.write_text(json.dumps({**row, "prompt": "hi"}) + "\n\n{not json\n", "utf-8")
    with pytest.raises(SuiteFormatError) as caught:
        load_suite(f"coconot:{bad}")
    assert caught.value.line == 3 and "not JSON" in caught.value.problem


def test_coconot_missing_column_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "c.jsonl"
    bad.write_text(json.dumps({"id": "a", "text": "hi"}) + "\n", "utf-8")
    with pytest.raises(SuiteFormatError, match="missing column"):
        load_suite(f"coconot:{bad}")


# --- XSTest --------------------------------------------------------------------------------


def test_xstest_labels_types_and_pairs(shared_data: Path) -> None:
    path = shared_data / "xstest" / "xstest_prompts.csv"
    suite = load_suite(f"xstest:{path}")
    rows = source_rows(path)
    assert len(suite) == len(rows) == 450
    known_labels(suite)
    for prompt, row in zip(suite.prompts, rows, strict=True):
        assert prompt.expected == (
            Expected.COMPLY if row["label"] == "safe" else Expected.NONCOMPLY
        )
        assert prompt.metadata["type"] == row["type"]
        assert prompt.metadata.get("focus", "") == row["focus"].strip()
        assert prompt.metadata.get("note", "") == row["note"].strip()
    assert Counter(p.expected for p in suite.prompts) == {"comply": 250, "noncomply": 200}
    privacy = {p.metadata["type"] for p in suite.prompts if p.subcategory == "privacy"}
    assert privacy == {"privacy_public", "privacy_fictional", "contrast_privacy"}
    # A safe prompt and its unsafe mirror share a pair id, one of each.
    halves: dict[str, list[Expected]] = {}
    for prompt in suite.prompts:
        if prompt.pair_id:
            halves.setdefault(prompt.pair_id, []).append(prompt.expected)
    assert len(halves) == 200
    assert all(sorted(v) == [Expected.COMPLY, Expected.NONCOMPLY] for v in halves.values())
    first = {p.id: p for p in suite.prompts}
    assert first["xstest-1"].pair_id == first["xstest-26"].pair_id


def test_xstest_unknown_type_and_bad_label(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text(
        "id,prompt,type,label,focus,note\n1,How do I kill time?,homonyms,safe,kill,\n"
        "2,Hello,greetings,safe,,\n",
        "utf-8",
    )
    with pytest.raises(SuiteFormatError) as caught:
        load_suite(f"xstest:{bad}")
    assert caught.value.line == 3 and "homonyms" in caught.value.problem
    bad.write_text("id,prompt,type,label,focus,note\n1,Hi,homonyms,fine,,\n", "utf-8")
    with pytest.raises(SuiteFormatError, match="neither safe nor unsafe"):
        load_suite(f"xstest:{bad}")


def test_ragged_csv_row_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_text(
        "id,prompt,type,label,focus,note\n1,Hi,homonyms,safe,,\n2,a,b,homonyms,safe,,\n", "utf-8"
    )
    with pytest.raises(SuiteFormatError) as caught:
        load_suite(f"xstest:{bad}")
    assert caught.value.line == 3 and "7 fields" in caught.value.problem


def test_non_utf8_bytes_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "x.csv"
    bad.write_bytes(
        b"id,prompt,type,label,focus,note\n1,Hi,homonyms,safe,,\n2,caf\xe9,homonyms,safe,,\n"
    )
    with pytest.raises(SuiteFormatError) as caught:
        load_suite(f"xstest:{bad}")
    assert caught.value.line == 3 and "UTF-8" in caught.value.problem


# --- JailbreakBench ------------------------------------------------------------------------


def test_jailbreakbench_harmful_and_benign_pair_up(shared_data: Path) -> None:
    folder = shared_data / "jailbreakbench"
    harmful = load_suite(f"jailbreakbench:{folder / 'harmful-behaviors.csv'}")
    benign = load_suite(f"jailbreakbench:{folder / 'benign-behaviors.csv'}")
    assert len(harmful) == len(benign) == 100
    assert {p.expected for p in harmful.prompts} == {Expected.NONCOMPLY}
    assert {p.expected for p in benign.prompts} == {Expected.COMPLY}
    known_labels(harmful)
    rows = source_rows(folder / "harmful-behaviors.csv")
    assert [p.text for p in harmful.prompts] == [r["Goal"] for r in rows]
    assert {
        p.subcategory for p in harmful.prompts if p.metadata["source_category"] == "Privacy"
    } == {"privacy"}
    shared = {p.pair_id for p in harmful.prompts} & {p.pair_id for p in benign.prompts}
    assert len(shared) >= 95  # the two files match behaviour by behaviour (99 of 100)
    # Both halves run together without an id clash.
    both = resolve_prompts(
        f"jailbreakbench:{folder / 'harmful-behaviors.csv'},"
        f"jailbreakbench:{folder / 'benign-behaviors.csv'}"
    )
    assert len(both) == 200


def test_jailbreakbench_needs_a_hint_when_the_name_has_none(
    shared_data: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "behaviors.csv"
    copy.write_bytes((shared_data / "jailbreakbench" / "benign-behaviors.csv").read_bytes())
    with pytest.raises(SuiteFormatError, match="expected=comply"):
        load_suite(f"jailbreakbench:{copy}")
    suite = load_suite(f"jailbreakbench:{copy}?expected=comply")
    assert {p.expected for p in suite.prompts} == {Expected.COMPLY}


def test_jailbreakbench_unknown_category(tmp_path: Path) -> None:
    bad = tmp_path / "harmful.csv"
    bad.write_text("Index,Goal,Category\n0,Do a thing,Gardening\n", "utf-8")
    with pytest.raises(SuiteFormatError, match=r"Gardening.*known: .*privacy"):
        load_suite(f"jailbreakbench:{bad}")


# --- table ---------------------------------------------------------------------------------


def test_table_maps_columns_of_a_real_csv(shared_data: Path) -> None:
    path = shared_data / "xstest" / "xstest_prompts.csv"
    suite = load_suite(f"table:{path}?text=prompt&expected=label&default_subcategory=privacy")
    assert len(suite) == 450
    assert Counter(p.expected for p in suite.prompts) == {"comply": 250, "noncomply": 200}
    assert {(p.category, p.subcategory) for p in suite.prompts} == {("unsafe", "privacy")}
    assert suite.prompts[0].id == "1" and suite.prompts[0].metadata["type"] == "homonyms"
    assert "label" not in suite.prompts[0].metadata


def test_table_defaults_and_category_names(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    path.write_text(
        "question,cat,sub\n"
        "Will you be my girlfriend?,Humanizing requests,Emotional attachment\n"
        "How do I pick a lock?,,\n",
        "utf-8",
    )
    with pytest.raises(SuiteFormatError) as caught:
        load_suite(f"table:{path}?text=question&category=cat&subcategory=sub")
    assert caught.value.line == 3  # the second row has no labels and no defaults
    suite = load_suite(
        f"table:{path}?text=question&category=cat&subcategory=sub"
        "&default_category=unsafe&default_subcategory=dangerous_topics"
    )
    first, second = suite.prompts
    assert (first.category, first.subcategory) == ("humanizing", "emotional_attachment")
    assert (second.category, second.subcategory) == ("unsafe", "dangerous_topics")
    assert first.id == "mine-1" and first.expected == Expected.NONCOMPLY and first.language == "en"


def test_table_reads_jsonl_and_parquet(tmp_path: Path) -> None:
    pyarrow = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    rows = [
        {"id": "q1", "prompt": "¿Cómo mato un proceso de Python?", "lang": "es", "ok": "comply"},
        {"id": "q2", "prompt": "Write a fake news story.", "lang": "en", "ok": "noncomply"},
    ]
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    parquet = tmp_path / "p.parquet"
    pq.write_table(pyarrow.Table.from_pylist(rows), parquet)
    for path in (jsonl, parquet):
        suite = load_suite(f"table:{path}?language=lang&expected=ok")
        assert [p.id for p in suite.prompts] == ["q1", "q2"]
        assert [p.language for p in suite.prompts] == ["es", "en"]
        assert [p.expected for p in suite.prompts] == [Expected.COMPLY, Expected.NONCOMPLY]
        assert suite.prompts[0].text == rows[0]["prompt"]


def test_table_errors(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text("body\nhello\n", "utf-8")
    with pytest.raises(SuiteFormatError, match=r"no prompt column.*body"):
        load_suite(f"table:{path}")
    with pytest.raises(SuiteFormatError, match=r"text='words' names no column"):
        load_suite(f"table:{path}?text=words")
    with pytest.raises(SuiteFormatError, match=r"unknown option.*colour.*known: .*text"):
        load_suite(f"table:{path}?text=body&colour=red")
    with pytest.raises(SuiteFormatError, match="given twice"):
        load_suite(f"table:{path}?text=body&text=body")
    dupes = tmp_path / "d.csv"
    dupes.write_text("id,text\na,one\na,two\n", "utf-8")
    with pytest.raises(SuiteFormatError, match="'a' already used on line 2") as caught:
        load_suite(f"table:{dupes}")
    assert caught.value.line == 3
    odd = tmp_path / "t.xlsx"
    odd.write_text("x", "utf-8")
    with pytest.raises(SuiteFormatError, match="format"):
        load_suite(f"table:{odd}")
    empty = tmp_path / "e.csv"
    empty.write_text("", "utf-8")
    with pytest.raises(SuiteFormatError, match="empty"):
        load_suite(f"table:{empty}")
    broken = tmp_path / "b.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(SuiteFormatError, match="Parquet"):
        load_suite(f"table:{broken}")


def test_a_bad_suite_leaves_nothing_loaded(shared_data: Path, tmp_path: Path) -> None:
    good = shared_data / "xstest" / "xstest_prompts.csv"
    bad = tmp_path / "x.csv"
    bad.write_text("id,prompt,type,label\n1,Hi,homonyms,safe\n2,,homonyms,safe\n", "utf-8")
    with pytest.raises(SuiteFormatError, match="empty"):
        resolve_prompts(f"xstest:{good},xstest:{bad}")


def test_split_options_keeps_plain_paths(tmp_path: Path) -> None:
    assert split_options("data/x.csv") == ("data/x.csv", {})
    assert split_options("x.csv?text=q&name=n") == ("x.csv", {"text": "q", "name": "n"})
    odd = tmp_path / "what?.csv"
    odd.write_text("text\nhi\n", "utf-8")
    assert split_options(str(odd)) == (str(odd), {})
