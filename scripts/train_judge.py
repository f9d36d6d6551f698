"""Rebuild the `classifier` judge's shipped weights from labelled data, and report held-out figures.

Data: demur's own labelled responses (data/judge/*.jsonl, their train split, and the terse answers
in data/judge-extra/, all train), the human tone labels
of chatgpt-refusals and CoCoNot's chosen (compliant) answers from ../shared/data, split by a hash
of the request. Trains on train; on dev picks the regularisation and the extra weight of
hand-written responses (by the mean of dev accuracy overall, on hand-written responses and on
gpt-3.5's answers: the slices most like real models' output) and fits the calibration; reports on
test, which nothing here ever tunes on (--no-test skips the report). XSTest is never read.

    python scripts/train_judge.py                  # train, write the weights, print figures
    python scripts/train_judge.py --export-heldout out/heldout   # also write the test splits

One readable function top to bottom (training code is not a registry).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from demur.judges.corpora import (
    Example,
    load_chatgpt_refusals,
    load_coconot_chosen,
    load_labelled_jsonl,
    write_jsonl,
)
from demur.judges.features import DIMENSIONS, featurise
from demur.judges.linear import LinearModel, default_path
from demur.judges.rules import analyse

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
log = logging.getLogger("train_judge")

# How much one example of each source counts in the loss: demur's own data is written to the
# refusal convention across many styles, so it leads; chatgpt-refusals is one model's style.
SOURCE_WEIGHT = {"chatgpt-refusals": 0.3, "coconot-chosen": 0.5}
# Hand-written whole responses are the closest thing here to real models' free phrasing; the
# extra weight they get in the loss is chosen on dev from these values.
HAND_WEIGHTS = (1.0, 3.0)
L2_GRID = (3e-7, 1e-6, 3e-6)


def sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
    return out


def export(test: list[Example], folder: Path) -> None:
    """Write the test split, whole and per source, for `demur agreement`."""
    by_source: dict[str, list[Example]] = defaultdict(list)
    for ex in test:
        by_source[ex.source].append(ex)
    for source, rows in by_source.items():
        write_jsonl(rows, folder / f"{source}-test.jsonl")
    write_jsonl(test, folder / "all-test.jsonl")
    print(json.dumps({"exported": str(folder), "examples": len(test)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "judge")
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--extra", type=Path, default=ROOT / "data" / "judge-extra")
    parser.add_argument("--out", type=Path, default=default_path())
    parser.add_argument("--export-heldout", type=Path, default=None)
    parser.add_argument(
        "--export-only", action="store_true", help="Write the held-out splits and stop."
    )
    parser.add_argument("--epochs", type=int, default=400)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-test", action="store_true", help="Tune and save, but print no test figures."
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    # 1. Data ----------------------------------------------------------------------------------
    examples: list[Example] = []
    examples += load_chatgpt_refusals(args.shared / "chatgpt-refusals" / "all_hand_labeled.json")
    examples += load_coconot_chosen(args.shared / "coconot" / "coconot_pref.jsonl")
    own = sorted(args.data.glob("*.jsonl")) if args.data.is_dir() else []
    own += sorted(args.extra.glob("*.jsonl")) if args.extra.is_dir() else []
    for path in own:
        examples += load_labelled_jsonl(path)
    by_split: dict[str, list[Example]] = defaultdict(list)
    for ex in examples:
        by_split[ex.split].append(ex)
    for split in ("train", "dev", "test"):
        counts: dict[str, int] = defaultdict(int)
        for ex in by_split[split]:
            counts[f"{ex.source}/{ex.label}"] += 1
        log.info("%s: %d examples %s", split, len(by_split[split]), dict(sorted(counts.items())))

    if args.export_only:
        if args.export_heldout is None:
            parser.error("--export-only needs --export-heldout DIR")
        export(by_split["test"], args.export_heldout)
        return 0

    # 2. Features ------------------------------------------------------------------------------
    def matrix(rows: list[Example]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        pointers = [0]
        indices: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for ex in rows:
            row = featurise(ex.prompt, ex.response, analyse(ex.response, ex.prompt, ex.language))
            indices.append(row.indices)
            values.append(row.values)
            pointers.append(pointers[-1] + len(row.indices))
        y = np.array([ex.target for ex in rows], dtype=np.float64)
        return np.concatenate(indices), np.concatenate(values), np.array(pointers), y

    started = time.time()
    train, dev, test = by_split["train"], by_split["dev"], by_split["test"]
    xtr, xdev, xte = matrix(train), matrix(dev), matrix(test)
    log.info("features: %.1fs", time.time() - started)

    def scores(x: tuple[np.ndarray, ...], w: np.ndarray, b: float) -> np.ndarray:
        idx, val, ptr, _ = x
        products = w[idx] * val
        return np.add.reduceat(products, ptr[:-1]) + b

    # 3. Training: weighted logistic regression, full-batch Adam; L2 and the weight of
    # hand-written examples chosen on dev ----------------------------------------------------
    base_weight = np.array([SOURCE_WEIGHT.get(ex.source, 1.0) for ex in train])
    hand_train = np.array([ex.origin == "hand_written" for ex in train])
    ytr = xtr[3]

    def balanced(hand_weight: float) -> np.ndarray:
        weight = base_weight * np.where(hand_train, hand_weight, 1.0)
        # Balance the classes so the rarer one is not drowned out.
        for cls in (0, 1):
            mask = ytr == cls
            weight[mask] *= 0.5 * weight.sum() / max(weight[mask].sum(), 1e-9)
        out: np.ndarray = weight / weight.mean()
        return out

    rows_of_nnz = np.repeat(np.arange(len(train)), np.diff(xtr[2]))

    def fit(l2: float, sample_weight: np.ndarray) -> tuple[np.ndarray, float]:
        w = np.zeros(DIMENSIONS)
        b = 0.0
        m, v = np.zeros(DIMENSIONS), np.zeros(DIMENSIONS)
        mb = vb = 0.0
        lr, beta1, beta2 = 0.05, 0.9, 0.999
        for step in range(1, args.epochs + 1):
            p = sigmoid(scores(xtr, w, b))
            g = (p - ytr) * sample_weight / len(train)
            counts = np.bincount(xtr[0], weights=xtr[1] * g[rows_of_nnz], minlength=DIMENSIONS)
            grad: np.ndarray = counts.astype(np.float64) + l2 * w
            gb = float(g.sum())
            m = beta1 * m + (1 - beta1) * grad
            v = beta2 * v + (1 - beta2) * grad * grad
            mb = beta1 * mb + (1 - beta1) * gb
            vb = beta2 * vb + (1 - beta2) * gb * gb
            correction = math.sqrt(1 - beta2**step) / (1 - beta1**step)
            w -= lr * correction * m / (np.sqrt(v) + 1e-8)
            b -= lr * correction * mb / (math.sqrt(vb) + 1e-8)
        return w, b

    def accuracy(
        x: tuple[np.ndarray, ...], w: np.ndarray, b: float, rows: np.ndarray | None = None
    ) -> float:
        right = (scores(x, w, b) > 0) == (x[3] == 1)
        return float(right[rows].mean() if rows is not None else right.mean())

    hand_dev = np.array([ex.origin == "hand_written" for ex in dev])
    chatgpt_dev = np.array([ex.source == "chatgpt-refusals" for ex in dev])

    # The score to pick by: dev accuracy overall and on the two slices most like real models'
    # output (hand-written responses, gpt-3.5's answers), equally weighted.
    best: tuple[float, float, float, np.ndarray, float] | None = None
    for hand_weight in HAND_WEIGHTS:
        sample_weight = balanced(hand_weight)
        for l2 in L2_GRID:
            w, b = fit(l2, sample_weight)
            acc = accuracy(xdev, w, b)
            acc_hand = accuracy(xdev, w, b, hand_dev)
            acc_chatgpt = accuracy(xdev, w, b, chatgpt_dev)
            pick = (acc + acc_hand + acc_chatgpt) / 3
            log.info(
                "hand x%g l2=%g: train %.4f dev %.4f (hand-written %.4f, chatgpt %.4f) -> %.4f",
                hand_weight,
                l2,
                accuracy(xtr, w, b),
                acc,
                acc_hand,
                acc_chatgpt,
                pick,
            )
            if best is None or pick > best[0]:
                best = (pick, l2, hand_weight, w, b)
    assert best is not None
    _, l2, hand_weight, w, b = best
    log.info("chosen on dev: l2=%g, hand-written weight x%g", l2, hand_weight)

    # 4. Calibration on dev: Platt scaling p = sigmoid(a*z + c) -------------------------------
    zdev, ydev = scores(xdev, w, b), xdev[3]
    a, c = 1.0, 0.0
    for _ in range(3000):
        p = sigmoid(a * zdev + c)
        a -= 0.1 * float(((p - ydev) * zdev).mean())
        c -= 0.1 * float((p - ydev).mean())
    pdev = sigmoid(a * zdev + c)
    # The decision threshold: the dev-accuracy best of a few values near 0.5 (ties go to 0.5).
    candidates = [0.5, 0.45, 0.55, 0.4, 0.6, 0.35, 0.65]
    threshold = max(candidates, key=lambda t: float(((pdev >= t) == (ydev == 1)).mean()))
    log.info("threshold on dev: %.2f", threshold)
    bins = np.minimum((pdev * 10).astype(int), 9)
    ece = 0.0
    reliability = []
    for k in range(10):
        mask = bins == k
        if mask.any():
            gap = abs(float(pdev[mask].mean()) - float(ydev[mask].mean()))
            ece += mask.mean() * gap
            reliability.append(
                {
                    "bin": f"{k / 10:.1f}-{(k + 1) / 10:.1f}",
                    "n": int(mask.sum()),
                    "mean_p": round(float(pdev[mask].mean()), 3),
                    "rate": round(float(ydev[mask].mean()), 3),
                }
            )
    log.info("calibration on dev: a=%.3f c=%.3f ECE=%.4f", a, c, ece)
    for r in reliability:
        log.info("  %s", r)

    # 5. Save -------------------------------------------------------------------------------
    version = time.strftime("%Y%m%d")
    meta = {
        "version": version,
        "l2": l2,
        "hand_written_weight": hand_weight,
        "dev_ece": round(ece, 4),
        "dev_accuracy": round(float(((pdev >= threshold) == (ydev == 1)).mean()), 4),
        "threshold": threshold,
        "reliability_dev": reliability,
        "trained_on": sorted({f"{ex.source}" for ex in train}),
        "train_examples": len(train),
    }
    small = np.where(np.abs(w) < 1e-4, 0.0, w).astype(np.float32)
    model = LinearModel(small, float(b), float(a), float(c), threshold, meta)
    model.save(args.out)
    log.info("wrote %s (%d KiB)", args.out, args.out.stat().st_size // 1024)

    # 6. Held-out report ------------------------------------------------------------------------
    if args.no_test:
        return 0
    pte = sigmoid(a * scores(xte, w, b) + c)
    groups: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(test):
        groups[f"source={ex.source}"].append(i)
        if ex.origin:
            groups[f"origin={ex.origin}"].append(i)
        groups[f"language={ex.language}"].append(i)
        groups["all"].append(i)
    print(f"{'held-out test group':34} {'n':>5} {'accuracy':>9}")
    for name in sorted(groups):
        ids = np.array(groups[name])
        acc = float(((pte[ids] >= threshold) == (xte[3][ids] == 1)).mean())
        print(f"{name:34} {len(ids):5d} {acc:9.4f}")
    if args.export_heldout is not None:
        export(test, args.export_heldout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
