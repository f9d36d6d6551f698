"""Responses per second for each judge on real responses (target: >= 300/s for the default).

    python benchmarks/bench_judges.py                       # patterns, classifier, cascade
    python benchmarks/bench_judges.py --judge-model mock:comply   # also the rubric judge's overhead

Items are responses from ../shared/data/chatgpt-refusals and data/judge (mean length printed),
judged in batches the way the judging stage does. Prints wall-clock and CPU-time rates: the
judges are single-threaded CPU-bound Python, so on a shared machine the CPU-time rate is the
one a free core delivers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from demur.judges.base import JudgeItem
from demur.judges.corpora import load_chatgpt_refusals, load_labelled_jsonl
from demur.judges.registry import DEFAULT_JUDGE, JudgeOptions, create_judge

ROOT = Path(__file__).resolve().parents[1]


def items(limit: int) -> list[JudgeItem]:
    examples = load_chatgpt_refusals(
        ROOT.parent / "shared" / "data" / "chatgpt-refusals" / "all_hand_labeled.json"
    )
    for path in sorted((ROOT / "data" / "judge").glob("*.jsonl")):
        examples += load_labelled_jsonl(path)
    # Interleave sources so every prefix of the list mixes styles and languages.
    examples.sort(key=lambda e: hash((e.prompt, e.response)) % 9973)
    return [
        JudgeItem(prompt=e.prompt, response=e.response, language=None) for e in examples[:limit]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1500)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--judge-model", default=None)
    args = parser.parse_args()
    sample = items(args.items)
    mean_chars = statistics.mean(len(i.response) for i in sample)
    print(f"{len(sample)} responses, mean {mean_chars:.0f} characters, {os.cpu_count()} CPUs")
    names = ["patterns", "classifier", "cascade"]
    with tempfile.TemporaryDirectory() as cache:
        options = JudgeOptions(judge_model=args.judge_model, cache_dir=cache)
        if args.judge_model:
            names.append("rubric")
        print(f"best of {args.repeats}; default judge: {DEFAULT_JUDGE}")
        print(f"{'judge':12} {'wall resp/s':>12} {'CPU resp/s':>12}")
        for name in names:
            judge = create_judge(name, options)
            judge.judge(sample[:20])  # load weights and compile patterns outside the timing
            wall = cpu = 0.0
            for _ in range(args.repeats):
                started, cpu_started = time.perf_counter(), time.process_time()
                for start in range(0, len(sample), 256):
                    judge.judge(sample[start : start + 256])
                wall = max(wall, len(sample) / (time.perf_counter() - started))
                cpu = max(cpu, len(sample) / (time.process_time() - cpu_started))
            # CPU resp/s is what one free core gives; wall resp/s drops when others share it.
            print(f"{name:12} {wall:12.0f} {cpu:12.0f}")


if __name__ == "__main__":
    main()
