"""Overlap checks between training prompts and evaluation prompts: exact after normalisation,
and near-duplicate by character n-gram Jaccard similarity (cheap, no model needed)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NGRAM = 4
NEAR_THRESHOLD = 0.5
"""Jaccard similarity of character 4-grams at or above which two prompts count as the same."""

_NON_WORD = re.compile(r"[\W_]+")


def normalise(text: str) -> str:
    """Lower case, accents folded, punctuation dropped, spaces collapsed."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", folded).strip()


def ngrams(text: str, n: int = NGRAM) -> frozenset[str]:
    norm = normalise(text)
    if len(norm) <= n:
        return frozenset({norm})
    return frozenset(norm[i : i + n] for i in range(len(norm) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class Match:
    """The closest evaluation prompt to a training prompt."""

    text: str
    similarity: float
    exact: bool


class OverlapIndex:
    """Evaluation prompts indexed by n-gram, so each look-up compares only plausible matches."""

    def __init__(self, texts: Iterable[str], threshold: float = NEAR_THRESHOLD):
        self.threshold = threshold
        self.texts = list(dict.fromkeys(texts))
        self.exact = {normalise(t): t for t in self.texts}
        self.grams = [ngrams(t) for t in self.texts]
        self.index: dict[str, list[int]] = defaultdict(list)
        for number, grams in enumerate(self.grams):
            for gram in grams:
                self.index[gram].append(number)

    def closest(self, text: str) -> Match | None:
        """The most similar evaluation prompt at or above the threshold, else None."""
        norm = normalise(text)
        if norm in self.exact:
            return Match(self.exact[norm], 1.0, True)
        grams = ngrams(text)
        shared: dict[int, int] = defaultdict(int)
        for gram in grams:
            for number in self.index.get(gram, ()):
                shared[number] += 1
        best: Match | None = None
        for number, count in shared.items():
            union = len(grams) + len(self.grams[number]) - count
            similarity = count / union if union else 0.0
            if similarity >= self.threshold and (best is None or similarity > best.similarity):
                best = Match(self.texts[number], similarity, False)
        return best

    def overlaps(self, texts: Sequence[str]) -> list[Match | None]:
        return [self.closest(t) for t in texts]


def builtin_eval_prompts() -> list[str]:
    """Every prompt text of every built-in suite (read fresh: the suites change over time)."""
    from demur.suites.resolve import builtin_suite_names, load_builtin_suite

    return [p.text for name in builtin_suite_names() for p in load_builtin_suite(name).prompts]
