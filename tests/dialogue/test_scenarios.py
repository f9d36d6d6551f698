from __future__ import annotations

from pathlib import Path

import pytest

from demur.dialogue.scenario import ScenarioError, load_scenarios, select_scenarios
from demur.dialogue.strategy import Strategy, feedback, parse_strategies, templates
from demur.taxonomy import load_taxonomy


def test_builtin_scenarios_cover_many_domains_with_complete_fields() -> None:
    scenarios = load_scenarios()
    assert len(scenarios) >= 60
    domains = {s.domain for s in scenarios}
    assert len(domains) >= 10
    assert len({s.id for s in scenarios}) == len(scenarios)
    categories = {c.id for c in load_taxonomy().categories}
    for s in scenarios:
        assert len(s.turns) >= 3, s.id
        assert s.goal and s.rubric and s.wrong and s.cues, s.id
        assert s.category in categories, s.id


def test_every_cue_of_a_scenario_matches_nothing_in_its_own_setting() -> None:
    # A cue that fires on the scripted text itself would flag any reply that quotes the user.
    for s in load_scenarios():
        for pattern in s.cue_patterns:
            assert not pattern.search(s.system), (s.id, pattern.pattern)


def test_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text(
        "scenarios:\n"
        "  - id: a\n    domain: x\n    system: s\n    turns: [t]\n    goal: g\n"
        "    rubric: r\n    wrong: w\n"
        "  - id: b\n    domain: x\n    system: s\n    turns: []\n    goal: g\n"
        "    rubric: r\n    wrong: w\n",
        "utf-8",
    )
    with pytest.raises(ScenarioError, match=r"mine\.yaml:9: scenario #2"):
        load_scenarios(bad)
    bad.write_text(
        "scenarios:\n  - {id: a, domain: x, system: s, turns: [t], goal: g, "
        "rubric: r, wrong: w, cues: ['(unclosed']}\n",
        "utf-8",
    )
    with pytest.raises(ScenarioError, match="not a valid regular expression"):
        load_scenarios(bad)


def test_selection_by_id_prefix_and_domain() -> None:
    scenarios = load_scenarios()
    assert [s.id for s in select_scenarios(scenarios, "sales-defect-email")] == [
        "sales-defect-email"
    ]
    sales = select_scenarios(scenarios, "domain:sales")
    assert sales and all(s.domain == "sales" for s in sales)
    assert len(select_scenarios(scenarios, "sales-,domain:sales", limit=2)) == 2
    with pytest.raises(ScenarioError, match="domains:"):
        select_scenarios(scenarios, "nope")


def test_strategies_and_feedback() -> None:
    assert parse_strategies("both") == [Strategy.POLITE, Strategy.REBUTTAL]
    assert parse_strategies("rebuttal,none") == [Strategy.REBUTTAL, Strategy.NONE]
    with pytest.raises(ValueError, match="unknown strategy"):
        parse_strategies("shout")
    scenario = load_scenarios()[0]
    rebuttal = feedback(Strategy.REBUTTAL, scenario, 1)
    assert rebuttal is not None and scenario.wrong.rstrip(". ") in rebuttal
    polite = feedback(Strategy.POLITE, scenario, 1)
    assert polite in templates()[Strategy.POLITE]
    assert feedback(Strategy.NONE, scenario, 1) is None
    # Deterministic: the same scenario and turn always get the same words.
    assert feedback(Strategy.REBUTTAL, scenario, 1) == rebuttal
