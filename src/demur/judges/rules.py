"""Phrase patterns as data, and the position-aware reading of a response they give.

The rules live in YAML files under demur/judges/data/patterns/ (one per language). `analyse`
splits a response into sentences, finds which rules fire in which sentence, and sums up where
the refusal cues sit (opening or later) and how much ordinary content the response carries
besides them. The pattern judge labels from this reading; the classifier learns from it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from demur.judges.lang import LANGUAGES, detect_language
from demur.judges.verdict import PATTERNS

EXTRA_SIGNALS: tuple[str, ...] = (
    "disclaimer",
    "compliance",
    "limitation",
    "premise",
    "clarify",
    "pivot",
    "harm",
    "resource",
)
SIGNALS: tuple[str, ...] = PATTERNS + EXTRA_SIGNALS
"""Every signal a rule may carry: the seven response patterns, then the judge's own cues."""

REFUSAL_SIGNALS = frozenset({"direct_refusal", "boundary_setting"})
# Signals that mark a sentence as talk about the request rather than an answer to it.
META_SIGNALS = frozenset(
    {
        "direct_refusal",
        "boundary_setting",
        "apology",
        "explanation",
        "deflection",
        "acknowledgment",
        "emotional_awareness",
        "limitation",
        "harm",
        "resource",
        "clarify",
    }
)

OPENING_SENTENCES = 2
OPENING_CHARS = {"zh": 60, "ja": 70}
OPENING_CHARS_DEFAULT = 220
MAX_CHARS = 4000  # long answers are read up to here: refusals never hide beyond it

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])|\n+")
_LIST_LINE = re.compile(r"^\s*(?:[-*•]\s|\d+[.)]\s|#+\s|```)", re.MULTILINE)
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
_CLAUSE_I = re.compile(r"[,;:]\s+(?:and |so |but |therefore |hence |which is why )?(?=i\b)", re.I)


class Rule(BaseModel):
    """One weighted phrase pattern of a language file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    signal: str
    weight: float = Field(gt=0, le=1)
    at: Literal["start", "any"]
    re: str

    @field_validator("signal")
    @classmethod
    def _known_signal(cls, value: str) -> str:
        if value not in SIGNALS:
            raise ValueError(f"unknown signal {value!r}; known: {', '.join(SIGNALS)}")
        return value


class PatternFile(BaseModel):
    """The contents of one language's YAML file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    language: str
    version: int
    preamble: list[str] = Field(default_factory=list)
    rules: list[Rule]


class PatternDataError(ValueError):
    """A pattern file is malformed; the message names the file and what to fix."""


@dataclass(frozen=True)
class CompiledRule:
    id: str
    signal: str
    weight: float
    at_start: bool
    regex: re.Pattern[str]


@dataclass(frozen=True)
class PatternSet:
    """One language's compiled rules."""

    language: str
    version: int
    preamble: re.Pattern[str] | None
    start_rules: tuple[CompiledRule, ...]
    any_rules: tuple[CompiledRule, ...]
    # Every start rule as an optional lookahead of one regex: one match call per sentence tells
    # which rules fire there (group i set <=> start_rules[i] matched).
    start_all: re.Pattern[str] | None


def _data_dir() -> Path:
    return Path(str(resources.files("demur.judges").joinpath("data", "patterns")))


def load_pattern_file(path: Path) -> PatternSet:
    """Read and compile one language file; errors name the file and the rule."""
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
        data = PatternFile.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as exc:
        raise PatternDataError(f"{path}: not a valid pattern file: {exc}") from exc
    flags = re.IGNORECASE | re.UNICODE
    try:
        preamble = (
            re.compile(r"(?:" + "|".join(data.preamble) + r")\s*", flags) if data.preamble else None
        )
    except re.error as exc:
        raise PatternDataError(f"{path}: preamble is not a valid regex: {exc}") from exc
    compiled: list[CompiledRule] = []
    for rule in data.rules:
        try:
            regex = re.compile(rule.re, flags)
        except re.error as exc:
            raise PatternDataError(f"{path}: rule {rule.id!r} is not a valid regex: {exc}") from exc
        compiled.append(CompiledRule(rule.id, rule.signal, rule.weight, rule.at == "start", regex))
    start_rules = tuple(r for r in compiled if r.at_start)
    start_all = (
        re.compile(
            "".join(f"(?:(?=(?P<r{i}>{r.regex.pattern}))|)" for i, r in enumerate(start_rules)),
            flags,
        )
        if start_rules
        else None
    )
    return PatternSet(
        language=data.language,
        version=data.version,
        preamble=preamble,
        start_rules=start_rules,
        any_rules=tuple(r for r in compiled if not r.at_start),
        start_all=start_all,
    )


@cache
def pattern_set(language: str) -> PatternSet:
    """The shipped rules of a language (English when the language has no file)."""
    code = language if language in LANGUAGES else "en"
    return load_pattern_file(_data_dir() / f"{code}.yaml")


def patterns_version() -> str:
    """A version string that changes whenever any shipped pattern file changes version."""
    return ".".join(str(pattern_set(code).version) for code in LANGUAGES)


@dataclass(frozen=True)
class Hit:
    """A rule that fired, and in which sentence."""

    rule: str
    signal: str
    weight: float
    sentence: int


@dataclass(frozen=True)
class Analysis:
    """The position-aware reading of one response."""

    language: str
    chars: int
    sentences: int
    opening_sentences: int
    hits: tuple[Hit, ...]
    opening: dict[str, float] = field(default_factory=dict)
    body: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    content_chars: int = 0
    content_after_refusal: int = 0
    list_lines: int = 0
    overlap: float = 0.0
    ends_with_question: bool = False
    first_refusal_sentence: int | None = None

    def strength(self, signal: str) -> float:
        """The strongest hit of a signal anywhere."""
        return max(self.opening.get(signal, 0.0), self.body.get(signal, 0.0))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences (and lines) of a text."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.start() > start:
            spans.append((start, match.start()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def normalise(text: str) -> str:
    """Straight quotes and single spaces, so patterns need not spell every variant."""
    return (
        text.replace("\u2019", "'")
        .replace("\u2018", "'")
        .replace("\u201c", '"')
        .replace("\u201d", '"')
        .replace("\u00a0", " ")
        .replace("\u02bc", "'")
    )


def _content_terms(text: str, language: str) -> set[str]:
    if language in ("zh", "ja"):
        chars = _CJK.findall(text)
        return {a + b for a, b in itertools.pairwise(chars)}
    return {w for w in _WORD.findall(text.lower()) if len(w) >= 5}


def _sentence_start(text: str, start: int, end: int, preamble: re.Pattern[str] | None) -> int:
    """Skip leading punctuation and up to four preamble phrases ("Sorry, but", "As an AI,")."""
    pos = start
    while pos < end and not text[pos].isalnum():
        pos += 1
    if preamble is None:
        return pos
    for _ in range(4):
        match = preamble.match(text, pos, end)
        if match is None or match.end() == pos:
            break
        pos = match.end()
        while pos < end and not text[pos].isalnum():
            pos += 1
    return pos


def analyse(response: str, prompt: str = "", language: str | None = None) -> Analysis:
    """Read a response: which cues fire where, and how much answer it holds besides them."""
    text = normalise(response.strip())[:MAX_CHARS]
    # A terse answer ("No.") says too little about its language: let the request help.
    lang = detect_language(text if len(text) >= 40 else f"{text} {prompt}", language)
    rules = pattern_set(lang)
    spans = split_sentences(text)
    limit = OPENING_CHARS.get(lang, OPENING_CHARS_DEFAULT)
    opening_n = 0
    for index, (start, _) in enumerate(spans):
        if index < OPENING_SENTENCES and (index == 0 or start < limit):
            opening_n = index + 1
    hits: list[Hit] = []
    sentence_signals: list[set[str]] = [set() for _ in spans]
    starts = [a for a, _ in spans]
    for index, (start, end) in enumerate(spans):
        pos = _sentence_start(text, start, end, rules.preamble)
        # A stripped preamble may carry a cue itself (an apology, "As an AI"): try the raw start.
        fired: set[int] = set()
        # Clauses that open with "I" after a comma or semicolon ("..., and I won't give
        # instructions") start a refusal as surely as a sentence does.
        clauses = {m.end() for m in _CLAUSE_I.finditer(text, start, end)}
        for p in {pos, start} | clauses:
            match = rules.start_all.match(text, p, end) if rules.start_all else None
            if match is not None:
                fired.update(
                    int(name[1:]) for name, got in match.groupdict().items() if got is not None
                )
        for i in sorted(fired):
            rule = rules.start_rules[i]
            hits.append(Hit(rule.id, rule.signal, rule.weight, index))
            sentence_signals[index].add(rule.signal)
    for rule in rules.any_rules:
        for match in rule.regex.finditer(text):
            index = _sentence_of(starts, match.start())
            hits.append(Hit(rule.id, rule.signal, rule.weight, index))
            sentence_signals[index].add(rule.signal)
    opening: dict[str, float] = {}
    body: dict[str, float] = {}
    counts: dict[str, int] = {}
    for hit in hits:
        place = opening if hit.sentence < opening_n else body
        place[hit.signal] = max(place.get(hit.signal, 0.0), hit.weight)
        counts[hit.signal] = counts.get(hit.signal, 0) + 1
    refusal_sentences = [i for i, s in enumerate(sentence_signals) if s & REFUSAL_SIGNALS]
    first_refusal = refusal_sentences[0] if refusal_sentences else None
    content = [
        i for i, s in enumerate(sentence_signals) if not (s & META_SIGNALS) or "compliance" in s
    ]
    content_chars = sum(spans[i][1] - spans[i][0] for i in content)
    after = sum(
        spans[i][1] - spans[i][0]
        for i in content
        if first_refusal is not None and i > first_refusal
    )
    body_text = " ".join(text[spans[i][0] : spans[i][1]] for i in content)
    asked = _content_terms(prompt, lang)
    overlap = len(asked & _content_terms(body_text, lang)) / len(asked) if asked else 0.0
    return Analysis(
        language=lang,
        chars=len(text),
        sentences=len(spans),
        opening_sentences=opening_n,
        hits=tuple(hits),
        opening=opening,
        body=body,
        counts=counts,
        content_chars=content_chars,
        content_after_refusal=after,
        list_lines=len(_LIST_LINE.findall(text)),
        overlap=overlap,
        ends_with_question=text.rstrip().endswith(("?", "？")),
        first_refusal_sentence=first_refusal,
    )


def _sentence_of(starts: list[int], offset: int) -> int:
    index = 0
    for i, start in enumerate(starts):
        if start > offset:
            break
        index = i
    return index
