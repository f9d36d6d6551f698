"""Splitting a reply into its reasoning and its final answer.

Models mark the two parts in many ways: a separate reasoning field, <think> tags, a "Final
answer:" line (in several languages), or a "Reasoning:"/"Answer:" pair. `split_reasoning` tries
them in order of reliability and says which one it used, or "missing" when there is no reasoning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

REASONING_INSTRUCTION = (
    "Before replying, think the request through step by step in a section that starts with "
    "'Reasoning:'. Then give your reply to the user on a new line that starts with "
    "'Final answer:'."
)
"""The fixed instruction that asks a model to reason first and mark its final answer."""


class SplitMethod(StrEnum):
    """Which marker separated reasoning from answer."""

    FIELD = "field"
    TAGS = "tags"
    UNCLOSED_TAG = "unclosed_tag"
    ANSWER_MARKER = "answer_marker"
    REASONING_ONLY = "reasoning_only"
    MISSING = "missing"


@dataclass(frozen=True)
class Split:
    """A reply cut into reasoning (None when there is none) and the answer the user sees."""

    reasoning: str | None
    answer: str
    method: SplitMethod

    @property
    def has_reasoning(self) -> bool:
        return bool(self.reasoning and self.reasoning.strip())


_TAG = re.compile(r"<(think|thinking|reasoning|thought)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_OPEN_TAG = re.compile(r"<(think|thinking|reasoning|thought)>", re.IGNORECASE)

# "Final answer" first: a bare "Answer:" can also occur inside reasoning ("the answer: no").
_FINAL_WORDS = (
    r"final answer|final response|final reply|endg[üu]ltige antwort|r[ée]ponse finale"
    r"|respuesta final|risposta finale|resposta final|окончательный ответ|最终答案|最終回答"
)
_ANSWER_WORDS = (
    rf"{_FINAL_WORDS}|my answer|answer|response|reply|antwort|r[ée]ponse|respuesta|risposta"
    r"|resposta|ответ|答案|回答"
)
_LEAD = r"(?:^|\n)[ \t>#*_-]*"
_EMPH = r"(?:\*\*|__)?"
_ANSWER_MARKER = re.compile(
    rf"{_LEAD}{_EMPH}(?:{_ANSWER_WORDS}){_EMPH}[ \t]*{_EMPH}[ \t]*[:：][ \t]*{_EMPH}",
    re.IGNORECASE,
)
# After "Final answer" the colon may be missing or a dash; the lookahead stops a bare colon
# from being taken as the start of the answer.
_FINAL_MARKER = re.compile(
    rf"{_LEAD}{_EMPH}(?:{_FINAL_WORDS}){_EMPH}[ \t]*{_EMPH}[ \t]*[:：–—-]?[ \t]*{_EMPH}[ \t]*"
    r"(?=\n|[^\s:：*_]|\Z)",
    re.IGNORECASE,
)
_REASONING_LABEL = re.compile(
    r"^[ \t>#*_-]*(?:\*\*|__)?(?:reasoning|thinking|thoughts|step[- ]by[- ]step|analysis"
    r"|begr[üu]ndung|[üu]berlegung|raisonnement|razonamiento|ragionamento|racioc[íi]nio"
    r"|рассуждение|推理|思考)(?:\*\*|__)?[ \t]*(?:[:：]|(?=\n))(?:\*\*|__)?",
    re.IGNORECASE,
)


def _clean(text: str) -> str:
    return text.strip().strip("*_").strip()


def split_reasoning(text: str, reasoning_field: str | None = None) -> Split:
    """Cut `text` into reasoning and answer; `reasoning_field` is a backend's separate trace."""
    if reasoning_field and reasoning_field.strip():
        inner = _TAG.sub("", text)
        return Split(reasoning_field.strip(), _clean(inner), SplitMethod.FIELD)
    tags = list(_TAG.finditer(text))
    if tags:
        reasoning = "\n".join(m.group(2).strip() for m in tags)
        answer = _TAG.sub("", text)
        marked = _after_marker(answer)
        return Split(reasoning, _clean(marked if marked is not None else answer), SplitMethod.TAGS)
    opened = _OPEN_TAG.search(text)
    if opened:
        # A trace cut off before its closing tag (max_tokens reached): no answer was given.
        return Split(text[opened.end() :].strip(), "", SplitMethod.UNCLOSED_TAG)
    final = list(_FINAL_MARKER.finditer(text))
    markers = final or list(_ANSWER_MARKER.finditer(text))
    if markers:
        last = markers[-1]
        before = _REASONING_LABEL.sub("", text[: last.start()].strip(), count=1)
        return Split(_clean(before) or None, _clean(text[last.end() :]), SplitMethod.ANSWER_MARKER)
    labelled = _REASONING_LABEL.match(text.lstrip())
    if labelled:
        # Reasoning was given but the marked answer never came (truncated or forgotten).
        return Split(_clean(text.lstrip()[labelled.end() :]), "", SplitMethod.REASONING_ONLY)
    return Split(None, text.strip(), SplitMethod.MISSING)


def _after_marker(text: str) -> str | None:
    markers = list(_FINAL_MARKER.finditer(text)) or list(_ANSWER_MARKER.finditer(text))
    return text[markers[-1].end() :] if markers else None
