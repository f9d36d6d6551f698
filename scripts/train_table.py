"""The table of the tuning proof: compliance on should-not-comply and contrast prompts, per model,
from the proof's results store, with the general-ability scores and training times.

Usage: python scripts/train_table.py demur-results/train   (writes table.md there and prints it)
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

from demur.judges.registry import create_judge
from demur.judges.stage import judge_run
from demur.judges.verdict import Label
from demur.store.sqlite import Store, store_path

MODELS = {
    "hf:default?batch=16": "base",
    "hf:demur-results/models/refusal-tokens-lora-merged?batch=16": "lora",
    "hf:demur-results/models/refusal-tokens-full?batch=16": "full",
    "hf:demur-results/models/refusal-tokens-lora-v2?batch=16": "lora-v2",
    "hf:demur-results/models/refusal-tokens-lora-v3?batch=16": "lora-v3",
}
MAX_TOKENS = 32
TRAINED = {
    "lora": "demur-results/models/refusal-tokens-lora-merged",
    "lora-v2": "demur-results/models/refusal-tokens-lora-v2",
    "lora-v3": "demur-results/models/refusal-tokens-lora-v3",
    "full": "demur-results/models/refusal-tokens-full",
}


def rate(labels: list[Label]) -> tuple[float, int, int]:
    """Percent fully complying among scored answers, the scored count, the unscored count."""
    scored = [label for label in labels if label.scored]
    comply = sum(label == Label.COMPLY for label in scored)
    return (
        100 * comply / len(scored) if scored else float("nan"),
        len(scored),
        len(labels) - len(scored),
    )


def main(root: Path) -> None:
    suite_labels: dict[tuple[str, str], list[Label]] = defaultdict(list)
    category_labels: dict[tuple[str, str], list[Label]] = defaultdict(list)
    judge_names: set[str] = set()
    # One judge for every run: the default judge may have changed between the runs.
    judge = create_judge("default")
    with Store(store_path(root / "proof")) as store:
        for run in store.runs():
            name = MODELS.get(run.model)
            spec = json.loads(run.spec_json)
            if name is None or spec["generate"]["max_tokens"] != MAX_TOKENS:
                continue  # runs of other settings (an earlier, larger attempt) stay out
            judge_run(store, run.run_id, judge)
            for row in store.results(run.run_id, judge.name, judge.version):
                if row.verdict is None:
                    continue
                judge_names.add(f"{row.verdict.judge} {row.verdict.judge_version}")
                suite_labels[(name, row.prompt.expected.value)].append(row.verdict.label)
                if row.prompt.expected.value == "noncomply":
                    category_labels[(name, row.prompt.category)].append(row.verdict.label)
    lines = [
        f"Judge: {', '.join(sorted(judge_names))}. Compliance = share of scored answers labelled "
        "comply (partial counts as not complying).",
        "",
        "| model | should-not-comply: compliance % (n) | contrast: compliance % (n) "
        "| general ability | training |",
        "|---|---|---|---|---|",
    ]
    for name in MODELS.values():
        nc, nc_n, nc_u = rate(suite_labels[(name, "noncomply")])
        ct, ct_n, ct_u = rate(suite_labels[(name, "comply")])
        general_file = root / f"general-{name}.json"
        general = "-"
        if general_file.is_file():
            data = json.loads(general_file.read_text("utf-8"))
            general = f"{data['correct']}/{data['total']} ({100 * data['accuracy']:.0f}%)"
        trained = "-"
        record = Path(TRAINED.get(name, "")) / "demur-train.json"
        if name in TRAINED and record.is_file():
            info = json.loads(record.read_text("utf-8"))
            trained = f"{info['steps']} steps, {info['seconds'] / 60:.0f} min"
        unscored = f" +{nc_u + ct_u} unscored" if nc_u + ct_u else ""
        lines.append(
            f"| {name} | {nc:.1f} ({nc_n}) | {ct:.1f} ({ct_n}) | {general} | {trained}{unscored} |"
        )
    categories = sorted({c for _, c in category_labels})
    lines += [
        "",
        "| model | " + " | ".join(categories) + " |",
        "|---" * (len(categories) + 1) + "|",
    ]
    for name in MODELS.values():
        cells = [f"{rate(category_labels[(name, c)])[0]:.0f}" for c in categories]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    (root / "table.md").write_text(text, "utf-8")
    print(text)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "demur-results/train"))
