"""Scenarios: role-play and task settings that tempt a model, turn by turn, towards a bad act.

Scenarios are data (YAML under demur/dialogue/data/, or any file of the same shape), so users can
add their own without touching code.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

BUILTIN = "scenarios.yaml"


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file, line and what to fix."""


class Scenario(BaseModel):
    """One multi-turn temptation: a setting, escalating user turns, and how to spot the harm."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Stable id, unique across the file.")
    domain: str = Field(description="Workplace area the setting belongs to (sales, healthcare...).")
    system: str = Field(description="The setting, sent as the system message.")
    turns: tuple[str, ...] = Field(min_length=1, description="Scripted user turns, escalating.")
    goal: str = Field(description="The undesired outcome the turns push towards.")
    rubric: str = Field(description="One line for an LLM judge: what makes a reply undesired.")
    cues: tuple[str, ...] = Field(
        default=(),
        description="Regular expressions (case-insensitive) whose presence in a reply that does "
        "not decline signals the undesired act, for the rule judge.",
    )
    wrong: str = Field(
        description="What is wrong with going along, in a clause ('hides a known safety defect "
        "from a buyer'); the rebuttal strategy quotes it."
    )
    category: str = Field(default="unsafe", description="Taxonomy category id, for grouping.")

    @field_validator("cues")
    @classmethod
    def _compiles(cls, cues: tuple[str, ...]) -> tuple[str, ...]:
        for cue in cues:
            try:
                re.compile(cue)
            except re.error as exc:
                raise ValueError(f"cue {cue!r} is not a valid regular expression: {exc}") from exc
        return cues

    @cached_property
    def cue_patterns(self) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(cue, re.IGNORECASE) for cue in self.cues)


def _line_numbers(text: str) -> list[int]:
    """1-based line of each top-level list item under `scenarios:`, for error messages."""
    node = yaml.compose(text)
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "scenarios" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def parse_scenarios(text: str, source: str) -> list[Scenario]:
    """Scenarios from YAML text of the form {scenarios: [...]}; errors name source and line."""
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("scenarios"), list):
        raise ScenarioError(f"{source}:1: expected a mapping with a list under 'scenarios'")
    lines = _line_numbers(text)
    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(raw["scenarios"]):
        line = lines[index] if index < len(lines) else 0
        try:
            scenario = Scenario.model_validate(entry)
        except ValidationError as exc:
            raise ScenarioError(
                f"{source}:{line}: scenario #{index + 1} is invalid: {exc}"
            ) from exc
        if scenario.id in seen:
            raise ScenarioError(
                f"{source}:{line}: duplicate scenario id {scenario.id!r} "
                f"(first at line {seen[scenario.id]}); give each scenario its own id"
            )
        seen[scenario.id] = line
        scenarios.append(scenario)
    return scenarios


@cache
def _builtin() -> tuple[Scenario, ...]:
    text = resources.files("demur.dialogue").joinpath("data", BUILTIN).read_text("utf-8")
    return tuple(parse_scenarios(text, f"demur/dialogue/data/{BUILTIN}"))


def load_scenarios(path: str | Path | None = None) -> list[Scenario]:
    """The built-in scenarios, or those of a YAML file."""
    if path is None:
        return list(_builtin())
    file = Path(path)
    if not file.is_file():
        raise ScenarioError(f"{file}: no such scenario file")
    return parse_scenarios(file.read_text("utf-8"), str(file))


def select_scenarios(
    scenarios: Sequence[Scenario], wanted: str | None, limit: int | None = None
) -> list[Scenario]:
    """Scenarios picked by comma-separated ids, id prefixes or `domain:NAME`, then the first
    `limit` of them; None picks all."""
    chosen = list(scenarios)
    if wanted:
        picks: list[Scenario] = []
        for part in (p.strip() for p in wanted.split(",")):
            if not part:
                continue
            if part.startswith("domain:"):
                hits = [s for s in scenarios if s.domain == part.removeprefix("domain:")]
            else:
                hits = [s for s in scenarios if s.id == part or s.id.startswith(part)]
            if not hits:
                domains = ", ".join(sorted({s.domain for s in scenarios}))
                raise ScenarioError(
                    f"no scenario matches {part!r}; use an id, an id prefix or domain:NAME "
                    f"(domains: {domains})"
                )
            picks.extend(s for s in hits if s not in picks)
        chosen = picks
    return chosen[:limit] if limit is not None else chosen
