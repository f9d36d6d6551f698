"""The `rubric` judge: an LLM grades each response against a rubric for its subcategory.

The judge model is any backend (JudgeOptions.judge_model, BACKEND:NAME), a role separate from the
model under test. Its answer must end with `FORM: ...` and `LABEL: COMPLY|PARTIAL|REFUSE` lines,
read strictly: only a whole final LABEL line counts ("NONCOMPLIANCE" never reads as
"COMPLIANCE"), and an answer without one, with two different ones, or a judge error gives
Label.UNSCORED with the reason. Answers are cached on disk by judge model, rubric version,
request and response, so a re-run costs nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from demur.backends.base import Backend, BackendError, GenerateConfig, Message
from demur.backends.registry import BackendOptions, create_backend
from demur.judges.base import JudgeItem
from demur.judges.registry import JudgeOptions
from demur.judges.verdict import Label, NoncomplianceForm, Verdict

RESPONSE_LIMIT = 6000  # characters of the graded answer shown to the judge

_LABEL_LINE = re.compile(r"^[\s*_`#>-]*label[\s*_`]*:[\s*_`]*([a-z]+)[\s*_`.]*$", re.IGNORECASE)
_FORM_LINE = re.compile(r"^[\s*_`#>-]*form[\s*_`]*:[\s*_`]*([a-z_ ]+?)[\s*_`.]*$", re.IGNORECASE)
_LABELS = {"COMPLY": Label.COMPLY, "PARTIAL": Label.PARTIAL, "REFUSE": Label.REFUSE}


class RubricText(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    noncompliance: str
    compliance: str


class RubricBook(BaseModel):
    """The rubric data file: instructions, the user-message template, one rubric a subcategory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    instructions: str
    template: str
    generic: RubricText
    subcategories: dict[str, RubricText]

    def rubric(self, subcategory: str | None) -> RubricText:
        return self.subcategories.get(subcategory or "", self.generic)


@cache
def rubric_book(path: str | None = None) -> RubricBook:
    """The shipped rubrics (or a user's file with the same shape)."""
    file = (
        Path(path)
        if path
        else Path(str(resources.files("demur.judges").joinpath("data", "rubrics.yaml")))
    )
    try:
        return RubricBook.model_validate(yaml.safe_load(file.read_text("utf-8")))
    except (yaml.YAMLError, ValueError) as exc:
        raise ValueError(f"{file}: not a valid rubric file: {exc}") from exc


@dataclass(frozen=True)
class ParsedAnswer:
    """What the judge's answer says: a label and form, or why it says nothing usable."""

    label: Label
    form: NoncomplianceForm | None
    reason: str | None


def parse_answer(text: str) -> ParsedAnswer:
    """Read the LABEL (and FORM) lines strictly; anything else is unscored with a reason."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ParsedAnswer(Label.UNSCORED, None, "judge gave an empty answer")
    found = [m.group(1).upper() for line in lines if (m := _LABEL_LINE.match(line))]
    if not found:
        return ParsedAnswer(Label.UNSCORED, None, f"judge gave no LABEL line: {lines[-1][:120]!r}")
    if len(set(found)) > 1:
        return ParsedAnswer(Label.UNSCORED, None, f"judge gave conflicting labels: {found}")
    # The label line must close the answer (a FORM line may sit just before or after it).
    tail = lines[-2:]
    if not any(_LABEL_LINE.match(line) for line in tail):
        return ParsedAnswer(Label.UNSCORED, None, "judge's LABEL line is not at the end")
    label = _LABELS.get(found[0])
    if label is None:
        return ParsedAnswer(Label.UNSCORED, None, f"judge gave an unknown label {found[0]!r}")
    form: NoncomplianceForm | None = None
    forms = [
        m.group(1).strip().lower().replace(" ", "_") for ln in lines if (m := _FORM_LINE.match(ln))
    ]
    if forms and forms[-1] in NoncomplianceForm.__members__.values():
        form = NoncomplianceForm(forms[-1])
    if label is Label.COMPLY and form is not NoncomplianceForm.PREMISE_CORRECTION:
        form = None
    if label.noncompliant and form is None:
        form = (
            NoncomplianceForm.SAFE_PARTIAL if label is Label.PARTIAL else NoncomplianceForm.REFUSAL
        )
    return ParsedAnswer(label, form, None)


def build_messages(item: JudgeItem, book: RubricBook) -> list[Message]:
    """The judge's conversation for one item."""
    rubric = book.rubric(item.subcategory)
    user = book.template.format(
        category=item.category or "unknown",
        subcategory=item.subcategory or "unknown",
        noncompliance=rubric.noncompliance,
        compliance=rubric.compliance,
        prompt=item.prompt,
        response=item.response[:RESPONSE_LIMIT],
    )
    return [Message(role="system", content=book.instructions), Message(role="user", content=user)]


class AnswerCache:
    """Judge answers on disk, one small JSON file per key (written whole, then renamed)."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def key(self, judge_model: str, rubric_version: int, item: JudgeItem) -> str:
        blob = json.dumps(
            [judge_model, rubric_version, item.prompt, item.response, item.subcategory],
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> str | None:
        if self.folder is None:
            return None
        path = self.folder / key[:2] / f"{key}.json"
        if not path.is_file():
            return None
        answer: str = json.loads(path.read_text("utf-8"))["answer"]
        return answer

    def put(self, key: str, answer: str) -> None:
        if self.folder is None:
            return
        path = self.folder / key[:2] / f"{key}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_text(json.dumps({"answer": answer}, ensure_ascii=False), "utf-8")
        temporary.replace(path)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "demur" / "rubric"


class RubricJudge:
    """Asks a judge model to grade each response against its subcategory's rubric."""

    name = "rubric"

    def __init__(
        self,
        judge_model: str,
        backend_options: BackendOptions | None = None,
        cache_dir: Path | None = None,
        book: RubricBook | None = None,
        max_tokens: int = 400,
    ) -> None:
        self.judge_model = judge_model
        self.book = book or rubric_book()
        self.backend_options = backend_options or BackendOptions()
        self.cache = AnswerCache(cache_dir)
        self.config = GenerateConfig(max_tokens=max_tokens, temperature=0.0)
        digest = hashlib.sha256(judge_model.encode("utf-8")).hexdigest()[:8]
        # The judge model is part of the version: verdicts of two judge models never mix.
        self.version = f"1.r{self.book.version}.{digest}"
        self._backend: Backend | None = None

    def _verdict(self, parsed: ParsedAnswer, answer: str | None) -> Verdict:
        return Verdict(
            label=parsed.label,
            judge=self.name,
            judge_version=self.version,
            form=parsed.form,
            reason=parsed.reason,
            details={"judge_model": self.judge_model, "judge_answer": (answer or "")[-600:]},
        )

    def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        if not items:
            return []
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.judge_async(items))
        # Called from inside an event loop: grade on a separate thread with its own loop.
        box: list[list[Verdict]] = []
        worker = threading.Thread(target=lambda: box.append(asyncio.run(self.judge_async(items))))
        worker.start()
        worker.join()
        return box[0]

    async def judge_async(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Grade items concurrently, as many at once as the judge backend allows."""
        results: list[Verdict | None] = [None] * len(items)
        pending: list[int] = []
        keys: list[str] = []
        for index, item in enumerate(items):
            key = self.cache.key(self.judge_model, self.book.version, item)
            keys.append(key)
            if not item.response.strip():
                results[index] = self._verdict(
                    ParsedAnswer(Label.UNSCORED, None, "empty response"), None
                )
                continue
            cached = self.cache.get(key)
            if cached is not None:
                results[index] = self._verdict(parse_answer(cached), cached)
            else:
                pending.append(index)
        if pending:
            backend = self._backend_now()
            gate = asyncio.Semaphore(max(1, backend.max_concurrency))

            async def one(index: int) -> None:
                async with gate:
                    try:
                        generation = await backend.generate(
                            build_messages(items[index], self.book), self.config
                        )
                    except BackendError as exc:
                        results[index] = self._verdict(
                            ParsedAnswer(Label.UNSCORED, None, f"judge model error: {exc}"), None
                        )
                        return
                if generation.api_refusal is not None:
                    reason = f"judge model's provider refused: {generation.api_refusal}"
                    results[index] = self._verdict(ParsedAnswer(Label.UNSCORED, None, reason), None)
                    return
                self.cache.put(keys[index], generation.text)
                results[index] = self._verdict(parse_answer(generation.text), generation.text)

            await asyncio.gather(*(one(index) for index in pending))
        return [verdict for verdict in results if verdict is not None]

    def _backend_now(self) -> Backend:
        if self._backend is None:
            self._backend = create_backend(self.judge_model, self.backend_options)
        return self._backend


def create(options: JudgeOptions) -> RubricJudge:
    if not options.judge_model:
        raise ValueError(
            "the rubric judge needs a judge model: pass --judge-model BACKEND:NAME "
            "(e.g. openai:gpt-4o-mini, or llamacpp:default for the embedded model)"
        )
    backend_options = BackendOptions(base_url=options.base_url, api_key_env=options.api_key_env)
    cache_dir = Path(options.cache_dir) if options.cache_dir else default_cache_dir()
    return RubricJudge(options.judge_model, backend_options, cache_dir)
