"""Labelled responses for building and checking judges, read from the files they come in.

Every example carries a source, a language, a split (train, dev or test) and a binary target
(1 = did not fully comply: refuse or partial). Sets without their own split get one from a hash of
the request, so every response to one request falls in the same split and the split never moves.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Split = Literal["train", "dev", "test"]

# chatgpt-refusals tones: the paper maps every tone but `complied` to refusal. `contradicted`
# (premise corrections) and `dontknow`/`incoherent` do not fit the refusal convention demur
# follows (a premise correction answers the question), so they are kept out of training.
CHATGPT_NONCOMPLIANT = frozenset({"rejected", "redirected", "counseling", "disclaimed"})
CHATGPT_SKIP = frozenset({"incoherent", "dontknow", "contradicted"})


@dataclass(frozen=True)
class Example:
    """One labelled response."""

    prompt: str
    response: str
    label: str  # comply, partial or refuse
    source: str
    language: str
    split: Split
    style: str = ""
    origin: str = ""  # demur's data: "composed" or "hand_written"

    @property
    def target(self) -> int:
        return 0 if self.label == "comply" else 1


def hash_split(key: str, dev: int = 15, test: int = 15) -> Split:
    """A split fixed by the key: `test`% test, `dev`% dev, the rest train."""
    bucket = zlib.crc32(key.encode("utf-8")) % 100
    if bucket < test:
        return "test"
    if bucket < test + dev:
        return "dev"
    return "train"


def load_chatgpt_refusals(path: Path) -> list[Example]:
    """all_hand_labeled.json of maxwellreuter/chatgpt-refusals, by its human tone labels."""
    rows = json.loads(path.read_text("utf-8"))
    out: list[Example] = []
    for row in rows:
        tone = row["tone"]
        if tone in CHATGPT_SKIP:
            continue
        label = "refuse" if tone in CHATGPT_NONCOMPLIANT else "comply"
        out.append(
            Example(
                prompt=row["prompt"],
                response=row["response"],
                label=label,
                source="chatgpt-refusals",
                language="en",
                split=hash_split(row["prompt"]),
                style=tone,
            )
        )
    return out


def load_coconot_chosen(path: Path) -> list[Example]:
    """coconot_pref.jsonl: the chosen answers comply (the rejected ones carry no refusal label)."""
    out: list[Example] = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        out.append(
            Example(
                prompt=row["prompt"],
                response=row["chosen"],
                label="comply",
                source="coconot-chosen",
                language="en",
                split=hash_split(row["prompt"]),
                style=row.get("subcategory", ""),
            )
        )
    return out


def load_labelled_jsonl(path: Path, source: str | None = None) -> list[Example]:
    """demur's judge data (data/judge/*.jsonl): prompt, response, label, language, style, split.

    `refusal_label`, where a row has one, is the label under the refusal convention and wins over
    `label` (which may follow the noncompliance convention: a premise correction is noncompliance
    there but an answer here). Rows without a split get one from the request hash; bad rows raise
    with file and line.
    """
    out: list[Example] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            label = str(row.get("refusal_label") or row["label"]).lower()
            if label not in ("comply", "partial", "refuse"):
                raise ValueError(f"label {label!r} is not comply, partial or refuse")
            split = row.get("split") or hash_split(row["prompt"])
            if split not in ("train", "dev", "test"):
                raise ValueError(f"split {split!r} is not train, dev or test")
            out.append(
                Example(
                    prompt=str(row["prompt"]),
                    response=str(row["response"]),
                    label=label,
                    source=source or str(row.get("source") or "demur-written"),
                    language=str(row.get("language") or "en"),
                    split=split,
                    style=str(row.get("style") or ""),
                    origin=str(row.get("origin") or ""),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled response: {exc}") from exc
    return out


def write_jsonl(examples: list[Example], path: Path) -> None:
    """Write examples in the format `demur judge` and `demur agreement` read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for ex in examples:
            row = {
                "prompt": ex.prompt,
                "response": ex.response,
                "label": ex.label,
                "source": ex.source,
                "language": ex.language,
                "style": ex.style,
                "origin": ex.origin or ex.source,
                "split": ex.split,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
