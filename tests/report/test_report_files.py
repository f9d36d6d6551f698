from __future__ import annotations

import json
import re
from pathlib import Path

from report_demo import Demo

from demur.metrics import ALL, grouped, to_outcomes
from demur.report import write_reports
from demur.store.sqlite import Store


def test_html_is_self_contained_and_holds_every_part(demo: Demo, tmp_path: Path) -> None:
    with Store(demo.store) as store:
        paths = write_reports(store, demo.run_ids, tmp_path)
    page = paths.html.read_text("utf-8")
    # Nothing is fetched: no external scripts, styles, fonts or images.
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert page.count("<script>") == 1 and "<script src" not in page
    assert len(page) < 2_000_000
    for part in ("Incomplete", "Unsupported", "Indeterminate", "Safety", "Contrast"):
        assert f">{part}<" in page
    assert page.count("<svg") >= 3
    assert "no sys" in page  # eager ran with and without a system prompt
    assert "Over- against under-refusal" in page
    assert "<details class='grp'>" in page
    assert "unscored" in page and "provider refusals" in page


def test_json_matches_the_metrics_recomputed_from_the_store(demo: Demo, tmp_path: Path) -> None:
    with Store(demo.store) as store:
        paths = write_reports(store, demo.run_ids, tmp_path)
        rows = store.results(demo.run_ids[0])
    data = json.loads(paths.json.read_text("utf-8"))
    assert [r["run"]["run_id"] for r in data["runs"]] == demo.run_ids
    first = data["runs"][0]["breakdowns"]["category"]
    expected = grouped(to_outcomes(rows, data["runs"][0]["run"]["label"]), "category")
    assert first[0]["group"] == ALL
    assert first[0]["harmful_compliance"]["k"] == expected[0].harmful_compliance.k
    assert first[0]["counts"] == expected[0].counts.model_dump()
    # The demo scripts hold errors, provider refusals and empty answers: all counted apart.
    totals = [r["run"]["counts"] for r in data["runs"]]
    assert sum(t["error"] for t in totals) > 0
    assert sum(t["api_refusal"] for t in totals) > 0
    assert all(
        t["total"] == t["scored"] + t["unscored"] + t["error"] + t["api_refusal"] + t["unjudged"]
        for t in totals
    )
    assert set(data["comparisons"]) == {"category", "subcategory", "language"}


def test_markdown_tables_keep_their_shape(demo: Demo, tmp_path: Path) -> None:
    with Store(demo.store) as store:
        paths = write_reports(store, demo.run_ids, tmp_path)
    text = paths.markdown.read_text("utf-8")
    assert "## Compliance by category (%)" in text
    table: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            widths = {len(re.findall(r"(?<!\\)\|", row)) for row in table}
            assert len(widths) == 1, table
            table = []


def test_a_single_run_report_says_there_is_nothing_to_compare(demo: Demo, tmp_path: Path) -> None:
    with Store(demo.store) as store:
        paths = write_reports(store, demo.run_ids[:1], tmp_path)
    assert "One run only" in paths.html.read_text("utf-8")
    assert json.loads(paths.json.read_text("utf-8"))["comparisons"] == {}
