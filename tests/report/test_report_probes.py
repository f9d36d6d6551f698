"""Dialogue, reasoning-consistency and sweep sections of the report, built by the real pipeline
(scripted mock models, the protocol runner, the consistency judge, demur.calibrate's sweep)."""

from __future__ import annotations

import asyncio
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from report_demo import load_demo_script
from typer.testing import CliRunner

from demur.backends.registry import create_backend
from demur.cli import app
from demur.judges.registry import create_judge
from demur.judges.stage import judge_run
from demur.report import write_reports
from demur.run.retry import RetryPolicy
from demur.run.runner import execute
from demur.run.spec import RunSpec
from demur.store.sqlite import Store, store_path

BASE_KEYS = {
    "title",
    "created_at",
    "demur_version",
    "seed",
    "resamples",
    "runs",
    "comparisons",
    "examples",
    "notes",
}
BASE_SECTIONS = ["runs", "headline", "charts", "metrics", "forms", "patterns", "compare"]
NEW_SECTIONS = ["sweeps", "dialogue", "reasoning"]


@dataclass(frozen=True)
class Probes:
    results: Path
    agent_run: str
    plain_run: str


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Probes:
    """The demo's `agent` model with dialogues, a reasoning run and a sweep, beside a plain run
    of another model in the same store."""
    results = tmp_path_factory.mktemp("probes")
    script = load_demo_script()
    prompts = script.demo_prompts(16)
    agent_run = script.build_probes(results, prompts)
    spec = RunSpec(model="mock:refuse", suite="demo", sample=None)
    with Store(store_path(results)) as store:
        asyncio.run(
            execute(
                spec,
                create_backend(spec.model),
                prompts[:6],
                store,
                retry=RetryPolicy(max_retries=0),
            )
        )
        judge_run(store, spec.run_id, create_judge("patterns"))
    return Probes(results, agent_run, spec.run_id)


def report(probes: Probes, run_id: str, out: Path, **kwargs: object) -> tuple[str, dict, str]:  # type: ignore[type-arg]
    with Store(store_path(probes.results)) as store:
        paths = write_reports(store, [run_id], out, resamples=200, **kwargs)  # type: ignore[arg-type]
    return (
        paths.html.read_text("utf-8"),
        json.loads(paths.json.read_text("utf-8")),
        paths.markdown.read_text("utf-8"),
    )


def sections(page: str) -> list[str]:
    return re.findall(r"<section id='([a-z]+)'>", page)


def test_a_models_dialogues_reasoning_and_sweeps_join_its_report(
    probes: Probes, tmp_path: Path
) -> None:
    page, data, markdown = report(probes, probes.agent_run, tmp_path)
    assert sections(page) == [*BASE_SECTIONS, *NEW_SECTIONS, "examples", "reading"]
    for anchor in NEW_SECTIONS:
        assert f"<a href='#{anchor}'>" in page

    (dialogue,) = data["dialogues"]
    strategies = {m["strategy"]: m for m in dialogue["strategies"]}
    assert set(strategies) == {"polite", "rebuttal"}
    assert all(m["scenarios"] == 3 for m in strategies.values())
    # The scripted agent keeps going after a polite refusal and yields to two rebuttals of three.
    assert strategies["polite"]["continuation"]["value"] == 1.0
    assert strategies["rebuttal"]["continuation"]["value"] < 1.0
    assert len(dialogue["conversations"]) == 6
    assert page.count("<details><summary>demo-heater (") == 2  # turn by turn, per strategy

    (reasoning,) = data["reasoning"]
    overall = reasoning["per_category"]["all"]
    assert overall["inconsistency"]["n"] > 0
    assert overall["counts"]["reasoning_declines_answer_complies"] > 0

    (sweep,) = data["sweeps"]
    assert sweep["model"].startswith("mock:") and sweep["model"].endswith("agent.jsonl")
    assert {p["key"] for p in sweep["points"]} == set(sweep["counts"])
    # One line chart per key and the trade-off chart, each drawn from the sweep's points.
    sweep_part = page[page.index("<section id='sweeps'>") : page.index("<section id='dialogue'>")]
    assert sweep_part.count("<svg") == len(sweep["counts"]) + 1
    assert "## Calibration sweeps" in markdown
    assert "## Multi-turn protocols" in markdown and "## Reasoning against answer" in markdown


def test_model_text_in_the_new_sections_is_shown_as_text(probes: Probes, tmp_path: Path) -> None:
    page, _, markdown = report(probes, probes.agent_run, tmp_path)
    # The agent's review reply carries a script; it reaches the page only escaped.
    assert "<script>alert('review')" not in page
    assert "&lt;script&gt;alert(&#x27;review&#x27;)&lt;/script&gt;" in page
    assert page.count("<script") == 1  # the search box, nothing else
    assert "<script>" not in markdown


def test_a_report_without_such_results_is_unchanged(probes: Probes, tmp_path: Path) -> None:
    # Same store, another model: the agent's dialogues, reasoning and sweep stay out.
    page, data, markdown = report(probes, probes.plain_run, tmp_path)
    assert set(data) == BASE_KEYS
    assert sections(page) == [*BASE_SECTIONS, "examples", "reading"]
    assert "Calibration sweeps" not in page and "demur-dialogue" not in page
    assert "Calibration sweeps" not in markdown and "Multi-turn" not in markdown


def test_a_sweep_file_named_explicitly_joins_any_report(probes: Probes, tmp_path: Path) -> None:
    (found,) = (probes.results / "sweeps").glob("*.json")
    page, data, _ = report(probes, probes.plain_run, tmp_path, sweeps=[found])
    assert [s["source"] for s in data["sweeps"]] == [str(found)]
    assert "sweeps" in sections(page) and "dialogue" not in sections(page)


def test_every_chart_of_the_new_sections_is_well_formed_svg(probes: Probes, tmp_path: Path) -> None:
    page, _, _ = report(probes, probes.agent_run, tmp_path)
    start = page.index("<section id='sweeps'>")
    end = page.index("<section id='examples'>")
    charts = re.findall(r"<svg.*?</svg>", page[start:end], flags=re.S)
    assert len(charts) >= 8
    for chart in charts:
        root = ET.fromstring(chart)
        assert root.tag.endswith("svg")


def test_report_command_takes_sweep_files(probes: Probes, tmp_path: Path) -> None:
    (found,) = (probes.results / "sweeps").glob("*.json")
    args = ["report", probes.plain_run[:10], "--results", str(probes.results)]
    done = CliRunner().invoke(app, [*args, "--sweep", str(found), "--out", str(tmp_path / "a")])
    assert done.exit_code == 0, done.output
    data = json.loads((tmp_path / "a" / "report.json").read_text("utf-8"))
    assert [s["source"] for s in data["sweeps"]] == [str(found)]
    bad = tmp_path / "bad.json"
    bad.write_text("[]", "utf-8")
    failed = CliRunner().invoke(app, [*args, "--sweep", str(bad), "--out", str(tmp_path / "b")])
    assert failed.exit_code == 2 and "bad.json" in failed.output
