"""Training data for noncompliance: requests and the responses a good assistant gives.

Examples come from demur's own templates (src/demur/train/data/templates.yaml), composed from
request parts so there are many distinct prompts, and optionally from a teacher model whose
answers are kept only where the default judge agrees they do the right thing. Every prompt is
checked against the evaluation suites (exact and near-duplicate) and dropped if it overlaps.
The output is chat-format JSONL ({"messages": [...]} plus metadata), as transformers and TRL read.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import random
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from demur.train.overlap import OverlapIndex, builtin_eval_prompts

log = logging.getLogger(__name__)

Style = Literal["polite", "rebuttal"]
STYLES: tuple[str, ...] = ("polite", "rebuttal")


class TemplateSubcategory(BaseModel):
    """Templates for one taxonomy subcategory."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: str
    requests: tuple[str, ...]
    cases: tuple[dict[str, str | list[str]], ...]
    polite: tuple[str, ...]
    rebuttal: tuple[str, ...]


class ContrastCase(BaseModel):
    """A request that looks like a noncompliance case but deserves a plain answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    subcategory: str
    q: tuple[str, ...]
    a: str


class Templates(BaseModel):
    """The whole template file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    openers: tuple[str, ...] = ("",)
    closers: tuple[str, ...] = ("",)
    gibberish_words: tuple[str, ...] = ()
    subcategories: dict[str, TemplateSubcategory]
    contrast: tuple[ContrastCase, ...] = ()


class Example(BaseModel):
    """One training conversation with its taxonomy labels."""

    model_config = ConfigDict(frozen=True)

    messages: tuple[dict[str, str], ...]
    category: str
    subcategory: str
    expected: Literal["comply", "noncomply"]
    style: str = Field(description="polite, rebuttal, or helpful for contrast answers.")
    source: str = Field(description="template, or teacher:MODEL.")
    request: str = Field(description="The request before an opener or closer was added.")

    @property
    def prompt(self) -> str:
        return next(m["content"] for m in self.messages if m["role"] == "user")


@dataclass
class SynthReport:
    """What a synthesis produced and what it dropped."""

    kept: int = 0
    exact_overlaps: int = 0
    near_overlaps: int = 0
    teacher_rejected: int = 0
    by_subcategory: Counter[str] = field(default_factory=Counter)
    dropped_examples: list[tuple[str, str, float]] = field(default_factory=list)


def load_templates(path: str | Path | None = None) -> Templates:
    """The built-in templates, or a user's file in the same shape; checked against the taxonomy."""
    from demur.taxonomy import load_taxonomy

    if path is None:
        source = "demur/train/data/templates.yaml"
        text = resources.files("demur.train").joinpath("data", "templates.yaml").read_text("utf-8")
    else:
        source, text = str(path), Path(path).read_text("utf-8")
    try:
        templates = Templates.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ValueError(f"{source}: not a valid template file: {exc}") from exc
    taxonomy = load_taxonomy()
    subcategory_of = {sub: cat for cat, sub in taxonomy.pairs()}
    for name, sub in templates.subcategories.items():
        if not taxonomy.knows(sub.category, name):
            raise ValueError(f"{source}: subcategory {sub.category}/{name} is not in the taxonomy")
    for case in templates.contrast:
        if case.subcategory not in subcategory_of:
            raise ValueError(f"{source}: contrast subcategory {case.subcategory!r} is unknown")
    return templates


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _gibberish(words: Sequence[str], rng: random.Random) -> str:
    return " ".join(rng.choice(words) for _ in range(rng.randint(4, 9)))


def _wrap(request: str, templates: Templates, rng: random.Random) -> str:
    opener, closer = rng.choice(templates.openers), rng.choice(templates.closers)
    if opener and request[:1].isupper() and not opener.rstrip().endswith((".", "!", ":", "?")):
        request = request[0].lower() + request[1:]
    return f"{opener}{request}{closer}"


def expand_subcategory(
    name: str, sub: TemplateSubcategory, templates: Templates, style: Style, rng: random.Random
) -> list[Example]:
    """Every distinct request of one subcategory, each with a response in the given style."""
    responses = sub.polite if style == "polite" else sub.rebuttal
    examples: dict[str, Example] = {}
    for case in sub.cases:
        for template in sub.requests:
            used = [f for f in _fields(template) if f in case]
            choices = [_as_list(case[f]) for f in used]
            for combo in itertools.product(*choices):
                values = {k: rng.choice(_as_list(v)) for k, v in case.items()}
                values.update(zip(used, combo, strict=True))
                repeats = 12 if values.get("salad") == "{gibberish}" else 1
                for _ in range(repeats):
                    if repeats > 1:
                        values["salad"] = _gibberish(templates.gibberish_words, rng)
                    request = _capitalise(template.format(**values))
                    response = rng.choice(responses).format(**values)
                    examples.setdefault(
                        request,
                        Example(
                            messages=(
                                {"role": "user", "content": _wrap(request, templates, rng)},
                                {"role": "assistant", "content": _capitalise(response)},
                            ),
                            category=sub.category,
                            subcategory=name,
                            expected="noncomply",
                            style=style,
                            source="template",
                            request=request,
                        ),
                    )
    return list(examples.values())


def expand_contrast(templates: Templates, rng: random.Random, variants: int) -> list[Example]:
    """Every contrast request, each wrapped `variants` ways, with its helpful answer."""
    from demur.taxonomy import load_taxonomy

    category_of = {sub: cat for cat, sub in load_taxonomy().pairs()}
    examples: dict[str, Example] = {}
    for case in templates.contrast:
        for question in case.q:
            for _ in range(variants):
                prompt = _wrap(question, templates, rng)
                examples.setdefault(
                    prompt,
                    Example(
                        messages=(
                            {"role": "user", "content": prompt},
                            {"role": "assistant", "content": case.a},
                        ),
                        category=category_of[case.subcategory],
                        subcategory=case.subcategory,
                        expected="comply",
                        style="helpful",
                        source="template",
                        request=question,
                    ),
                )
    return list(examples.values())


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def from_templates(
    templates: Templates,
    *,
    style: Style = "polite",
    per_subcategory: int = 60,
    contrast_variants: int = 4,
    seed: int = 0,
) -> list[Example]:
    """Template examples: up to `per_subcategory` noncompliance items per subcategory, and every
    contrast request in `contrast_variants` wrappings, shuffled with a fixed seed."""
    if style not in STYLES:
        raise ValueError(f"unknown refusal style {style!r}; choose one of {', '.join(STYLES)}")
    rng = random.Random(seed)
    chosen: list[Example] = []
    for name, sub in templates.subcategories.items():
        items = expand_subcategory(name, sub, templates, style, rng)
        rng.shuffle(items)
        chosen.extend(items[:per_subcategory])
    chosen.extend(expand_contrast(templates, rng, contrast_variants))
    rng.shuffle(chosen)
    return chosen


def drop_overlaps(
    examples: Iterable[Example], eval_prompts: Iterable[str], report: SynthReport
) -> list[Example]:
    """Examples whose prompt (wrapped or bare) matches no evaluation prompt."""
    index = OverlapIndex(eval_prompts)
    kept: list[Example] = []
    for example in examples:
        matches = [m for m in (index.closest(example.prompt), index.closest(example.request)) if m]
        if not matches:
            kept.append(example)
            continue
        match = max(matches, key=lambda m: m.similarity)
        if match.exact:
            report.exact_overlaps += 1
        else:
            report.near_overlaps += 1
        report.dropped_examples.append((example.prompt, match.text, match.similarity))
    return kept


async def _teacher_answers(
    examples: Sequence[Example],
    model: str,
    max_tokens: int,
    progress: Callable[[int, int], None] | None,
) -> list[str | None]:
    from demur.backends.base import GenerateConfig, Message
    from demur.backends.registry import create_backend
    from demur.run.retry import RetryPolicy, with_retries

    backend = create_backend(model)
    config = GenerateConfig(max_tokens=max_tokens)
    semaphore = asyncio.Semaphore(backend.max_concurrency)
    done = 0

    async def one(example: Example) -> str | None:
        nonlocal done
        messages = [Message(role="user", content=example.prompt)]
        async with semaphore:
            outcome = await with_retries(lambda: backend.generate(messages, config), RetryPolicy())
        done += 1
        if progress is not None:
            progress(done, len(examples))
        if outcome.value is None or outcome.value.api_refusal is not None:
            return None
        return outcome.value.text.strip() or None

    try:
        return list(await asyncio.gather(*(one(e) for e in examples)))
    finally:
        await backend.aclose()


def with_teacher(
    examples: Sequence[Example],
    model: str,
    report: SynthReport,
    *,
    judge_name: str = "default",
    max_tokens: int = 200,
    progress: Callable[[int, int], None] | None = None,
) -> list[Example]:
    """Replace template responses by a teacher model's answers, keeping only the examples whose
    answer the judge labels as the expected behaviour (noncompliance, or full compliance)."""
    from demur.judges.base import JudgeItem
    from demur.judges.registry import create_judge
    from demur.judges.verdict import Label

    answers = asyncio.run(_teacher_answers(examples, model, max_tokens, progress))
    judge = create_judge(judge_name)
    pending = [(e, a) for e, a in zip(examples, answers, strict=True) if a is not None]
    verdicts = judge.judge(
        [
            JudgeItem(
                prompt=e.prompt,
                response=a,
                category=e.category,
                subcategory=e.subcategory,
                expected=e.expected,
            )
            for e, a in pending
        ]
    )
    kept: list[Example] = []
    for (example, answer), verdict in zip(pending, verdicts, strict=True):
        agrees = (
            verdict.label.noncompliant
            if example.expected == "noncomply"
            else verdict.label == Label.COMPLY
        )
        if agrees:
            kept.append(
                example.model_copy(
                    update={
                        "messages": (example.messages[0], {"role": "assistant", "content": answer}),
                        "source": f"teacher:{model}",
                    }
                )
            )
    report.teacher_rejected += len(examples) - len(kept)
    return kept


def synthesise(
    *,
    style: Style = "polite",
    per_subcategory: int = 60,
    contrast_variants: int = 4,
    seed: int = 0,
    teacher: str | None = None,
    templates_path: str | Path | None = None,
    eval_prompts: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Example], SynthReport]:
    """Build a training set: templates, overlap filter against the evaluation prompts (the
    built-in suites unless given), then the teacher pass if a teacher model is named."""
    report = SynthReport()
    examples = from_templates(
        load_templates(templates_path),
        style=style,
        per_subcategory=per_subcategory,
        contrast_variants=contrast_variants,
        seed=seed,
    )
    examples = drop_overlaps(
        examples, builtin_eval_prompts() if eval_prompts is None else eval_prompts, report
    )
    if teacher:
        examples = with_teacher(examples, teacher, report, progress=progress)
    report.kept = len(examples)
    report.by_subcategory.update(f"{e.expected}:{e.subcategory}" for e in examples)
    return examples, report


def write_jsonl(examples: Iterable[Example], path: Path) -> int:
    """Write one chat record a line; returns the count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            handle.write(json.dumps(example.model_dump(mode="json"), ensure_ascii=False) + "\n")
            count += 1
    return count


def read_jsonl(path: Path) -> list[Example]:
    """Read a file written by write_jsonl (or any {"messages": [...], category...} JSONL)."""
    examples: list[Example] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data: dict[str, Any] = json.loads(line)
            data.setdefault("style", "unknown")
            data.setdefault("source", str(path))
            data.setdefault(
                "request", next(m["content"] for m in data["messages"] if m["role"] == "user")
            )
            examples.append(Example.model_validate(data))
        except (ValueError, KeyError, TypeError, StopIteration) as exc:
            raise ValueError(
                f"{path}:{number}: not a training record (want a JSON object with messages "
                f"[{{role, content}}, ...], category, subcategory, expected): {exc}"
            ) from exc
    return examples
