"""Validate the labelled judge data in data/judge/ and print its counts.

Checks that every line parses, fields hold allowed values, ids are unique, every response to a
prompt group shares one split, and (with --shared) that no prompt repeats or closely paraphrases a
prompt of XSTest, CoCoNot or JailbreakBench, which must never be used to train or tune a judge.

Usage: python scripts/check_judge_data.py [DIR] [--shared ../shared/data]
Exit status 1 when any check fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

LABELS = {"comply", "partial", "refuse"}
FORMS = {
    "refusal",
    "clarifying_question",
    "stated_limitation",
    "premise_correction",
    "redirection",
    "safe_partial",
}
PATTERNS = {
    "direct_refusal",
    "apology",
    "explanation",
    "deflection",
    "acknowledgment",
    "boundary_setting",
    "emotional_awareness",
}
LANGUAGES = {"en", "es", "fr", "de", "zh", "ja"}
SPLITS = {"train", "dev", "test"}
REQUIRED = (
    "id",
    "prompt",
    "response",
    "label",
    "form",
    "patterns",
    "language",
    "style",
    "model_voice",
    "split",
)


def check_row(row: dict[str, object], where: str) -> list[str]:
    """Return the problems with one record; an empty list when it is valid."""
    errs = [f"{where}: missing field {f!r}" for f in REQUIRED if f not in row]
    if errs:
        return errs
    for f in ("id", "prompt", "response", "style", "model_voice"):
        if not isinstance(row[f], str) or not str(row[f]).strip():
            errs.append(f"{where}: {f} must be a non-empty string")
    label, form = row["label"], row["form"]
    if label not in LABELS:
        errs.append(f"{where}: label {label!r} not in {sorted(LABELS)}")
    if label == "comply" and form is not None:
        errs.append(f"{where}: a compliant response has form null, got {form!r}")
    if label in ("partial", "refuse") and form not in FORMS:
        errs.append(f"{where}: form {form!r} not in {sorted(FORMS)}")
    pats = row["patterns"]
    if not isinstance(pats, list) or not set(pats) <= PATTERNS or len(set(pats)) != len(pats):
        errs.append(f"{where}: patterns must be distinct names from {sorted(PATTERNS)}")
    if row["language"] not in LANGUAGES:
        errs.append(f"{where}: language {row['language']!r} not in {sorted(LANGUAGES)}")
    if row["split"] not in SPLITS:
        errs.append(f"{where}: split {row['split']!r} not in {sorted(SPLITS)}")
    if "origin" in row and row["origin"] not in ("composed", "hand_written"):
        errs.append(f"{where}: origin {row['origin']!r} is not composed or hand_written")
    if "refusal_label" in row and row["refusal_label"] not in LABELS:
        errs.append(f"{where}: refusal_label {row['refusal_label']!r} not in {sorted(LABELS)}")
    return errs


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.lower()))


def external_prompts(shared: Path) -> list[str]:
    """Prompts of the benchmark sets that our data must not reuse."""
    out: list[str] = []
    for name in ("coconot_eval.jsonl", "coconot_contrast_eval.jsonl", "coconot_pref.jsonl"):
        path = shared / "coconot" / name
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                out += [json.loads(line)["prompt"] for line in fh if line.strip()]
    for path, col in (
        (shared / "xstest" / "xstest_prompts.csv", "prompt"),
        (shared / "jailbreakbench" / "harmful-behaviors.csv", "Goal"),
        (shared / "jailbreakbench" / "benign-behaviors.csv", "Goal"),
    ):
        if path.exists():
            with path.open(encoding="utf-8", errors="replace", newline="") as fh:
                out += [r[col] for r in csv.DictReader(fh)]
    return out


def near_copies(
    prompts: set[str], others: list[str], threshold: float
) -> list[tuple[str, str, float]]:
    """Pairs whose word sets overlap (Jaccard) at or above threshold."""
    other_sets = [(o, _words(o)) for o in others]
    hits = []
    for p in prompts:
        pw = _words(p)
        if len(pw) < 3:
            continue
        for o, ow in other_sets:
            if not ow:
                continue
            j = len(pw & ow) / len(pw | ow)
            if j >= threshold:
                hits.append((p, o, j))
    return hits


def markdown_tables(rows: list[dict[str, object]]) -> str:
    """Counts per language and label, and per language and split, as Markdown tables."""
    langs = sorted({str(r["language"]) for r in rows}, key=lambda x: (x != "en", x))
    by = Counter((str(r["language"]), str(r["label"])) for r in rows)
    sp = Counter((str(r["language"]), str(r["split"])) for r in rows)
    out = [
        "| language | comply | partial | refuse | all | train | dev | test |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for lang in [*langs, "all"]:
        sel = langs if lang == "all" else [lang]
        c = [sum(by[(x, lab)] for x in sel) for lab in ("comply", "partial", "refuse")]
        s = [sum(sp[(x, split)] for x in sel) for split in ("train", "dev", "test")]
        out.append(f"| {lang} | {c[0]} | {c[1]} | {c[2]} | {sum(c)} | {s[0]} | {s[1]} | {s[2]} |")
    forms = Counter((str(r["label"]), str(r["form"])) for r in rows if r["label"] != "comply")
    out += ["", "| form | partial | refuse |", "|---|---|---|"]
    for form in sorted(FORMS):
        out.append(f"| {form} | {forms[('partial', form)]} | {forms[('refuse', form)]} |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default="data/judge", type=Path)
    ap.add_argument("--shared", type=Path, default=None, help="../shared/data, to check overlap")
    ap.add_argument("--threshold", type=float, default=0.6)
    ap.add_argument("--markdown", action="store_true", help="print the count tables for the README")
    args = ap.parse_args()

    errors: list[str] = []
    rows: list[dict[str, object]] = []
    for path in sorted(args.dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                where = f"{path}:{n}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    errors.append(f"{where}: not JSON ({exc})")
                    continue
                errors += check_row(row, where)
                rows.append(row)

    ids = Counter(str(r.get("id")) for r in rows)
    errors += [f"duplicate id {i!r} ({c} times)" for i, c in ids.items() if c > 1]
    split_of: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        split_of[(str(r.get("language")), str(r.get("group", r.get("prompt"))))].add(
            str(r.get("split"))
        )
    errors += [f"group {g!r} spans splits {sorted(s)}" for g, s in split_of.items() if len(s) > 1]
    # the same prompt text must not sit in two splits either
    prompt_splits: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        prompt_splits[str(r.get("prompt"))].add(str(r.get("split")))
    errors += [
        f"prompt {p[:60]!r} spans splits {sorted(s)}"
        for p, s in prompt_splits.items()
        if len(s) > 1
    ]

    if args.shared is not None:
        hits = near_copies(
            {str(r["prompt"]) for r in rows}, external_prompts(args.shared), args.threshold
        )
        errors += [f"prompt {p!r} is close to benchmark prompt {o!r} ({j:.2f})" for p, o, j in hits]

    print(f"{len(rows)} responses, {len({r.get('prompt') for r in rows})} distinct prompts")
    for key in ("language", "label", "split", "form", "model_voice"):
        c = Counter(str(r.get(key)) for r in rows)
        print(f"{key}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    table = Counter(
        (str(r.get("language")), str(r.get("label")), str(r.get("split"))) for r in rows
    )
    print("language label: train/dev/test")
    for lang in sorted({k[0] for k in table}):
        for label in sorted(LABELS):
            t, d, s = (table[(lang, label, sp)] for sp in ("train", "dev", "test"))
            print(f"  {lang} {label:8s} {t:4d} {d:4d} {s:4d}")
    if args.markdown:
        print(markdown_tables(rows))
    for e in errors[:50]:
        print("ERROR", e, file=sys.stderr)
    if errors:
        print(f"{len(errors)} problems", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
