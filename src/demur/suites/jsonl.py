"""Reading suites in demur's own JSONL format (one Prompt a line)."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from demur.suites.errors import SuiteFormatError
from demur.suites.model import Prompt, Suite


def parse_prompts(text: str, source: str, suite: str) -> list[Prompt]:
    """Every line must be a Prompt object; the first bad line raises with file and line."""
    prompts: list[Prompt] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SuiteFormatError(source, number, f"not JSON ({exc.msg})") from exc
        if not isinstance(data, dict):
            raise SuiteFormatError(source, number, "expected a JSON object")
        data.setdefault("suite", suite)
        try:
            prompts.append(Prompt.model_validate(data))
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}" for e in exc.errors()
            )
            raise SuiteFormatError(source, number, problems) from exc
    return prompts


def load_jsonl_suite(path: str | Path, name: str | None = None) -> Suite:
    """A suite file in demur's format: fields of demur.suites.Prompt, one object a line."""
    path = Path(path)
    suite_name = name or path.stem
    prompts = parse_prompts(path.read_text("utf-8"), str(path), suite_name)
    return Suite(name=suite_name, prompts=tuple(prompts), source=str(path))
