"""Collecting a loader's prompts into a Suite, all or nothing.

Rows are checked one by one as they are added; the Suite exists only once every row passed, so
a bad row never leaves a half-loaded suite behind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError

from demur.suites.errors import SuiteFormatError
from demur.suites.model import Expected, Prompt, Suite


@dataclass
class SuiteBuilder:
    """Accumulates validated prompts for one file; `line` of each row goes into errors."""

    name: str
    source: str
    _prompts: list[Prompt] = field(default_factory=list)
    _lines: dict[str, int] = field(default_factory=dict)

    def fail(self, line: int | None, problem: str) -> SuiteFormatError:
        """The error to raise for a row of this file."""
        return SuiteFormatError(self.source, line, problem)

    def add(
        self,
        line: int,
        *,
        id: str,
        text: str,
        category: str,
        subcategory: str,
        expected: Expected,
        language: str = "en",
        pair_id: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        """Validate one prompt; raises naming the line when a field is empty or an id repeats."""
        if not text.strip():
            raise self.fail(line, "the prompt text is empty")
        if not id:
            raise self.fail(line, "the prompt id is empty")
        if id in self._lines:
            raise self.fail(line, f"prompt id {id!r} already used on line {self._lines[id]}")
        try:
            prompt = Prompt(
                id=id,
                text=text,
                category=category,
                subcategory=subcategory,
                expected=expected,
                language=language or "en",
                pair_id=pair_id or None,
                suite=self.name,
                metadata={k: v for k, v in (metadata or {}).items() if v},
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise self.fail(line, problems) from exc
        self._lines[id] = line
        self._prompts.append(prompt)

    def build(self) -> Suite:
        """The finished suite; raises when no row gave a prompt."""
        if not self._prompts:
            raise self.fail(None, "no prompts in the file")
        return Suite(name=self.name, prompts=tuple(self._prompts), source=self.source)
