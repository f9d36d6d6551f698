"""Latency overhead of applying a calibration profile while generating.

Generates the same prompts with the embedded model with and without a threshold-mode profile,
alternating the two `--repeats` times (the machine is shared and its load drifts), and prints
the ratio of median milliseconds per generated token. The profile's decision runs inside the
first decoding step, so the only cost is one softmax over the vocabulary per request. This
prints figures; it is not a test.

    python benchmarks/bench_calibration.py --prompts 12 --max-tokens 32 --repeats 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import numpy as np

from demur.backends.base import GenerateConfig, Message
from demur.backends.registry import create_backend
from demur.calibrate.apply import steer_first_step
from demur.calibrate.probe import opening_ids
from demur.calibrate.profile import CalibrationProfile, Mode
from demur.suites.resolve import resolve_prompts


async def timed(backend, prompts: list[str], config: GenerateConfig) -> float:  # type: ignore[no-untyped-def]
    """Milliseconds per generated token: a profile changes what is generated, and so its
    length, so whole-run times would compare different amounts of work."""
    started = time.perf_counter()
    tokens = 0
    for text in prompts:
        answer = await backend.generate([Message(role="user", content=text)], config)
        tokens += answer.completion_tokens or 0
    return 1000 * (time.perf_counter() - started) / max(tokens, 1)


def backend_vocab_logits(count: int) -> np.ndarray:
    """Random first-position logits of the embedded model's vocabulary size."""
    return np.random.default_rng(0).normal(size=(max(count, 50), 49152)).astype(np.float32)


async def main(args: argparse.Namespace) -> None:
    backend = create_backend(args.model)
    prompts = [p.text for p in resolve_prompts("noncompliance,contrast")][::50][: args.prompts]
    profile = CalibrationProfile(
        mode=Mode.THRESHOLD, token_ids={"any": opening_ids(backend)}, values={"any": 0.03}
    )
    plain = GenerateConfig(max_tokens=args.max_tokens)
    steered = plain.model_copy(update={"calibration": profile})
    await timed(backend, prompts[:2], plain)  # warm-up
    times: dict[str, list[float]] = {"plain": [], "profile": []}
    for _ in range(args.repeats):
        times["plain"].append(await timed(backend, prompts, plain))
        times["profile"].append(await timed(backend, prompts, steered))
    await backend.aclose()
    base, with_profile = statistics.median(times["plain"]), statistics.median(times["profile"])
    print(f"{args.model}: {len(prompts)} prompts, max_tokens {args.max_tokens}")
    print(f"plain    median {base:.2f} ms/token, runs {[round(t, 2) for t in times['plain']]}")
    runs = [round(t, 2) for t in times["profile"]]
    print(f"profile  median {with_profile:.2f} ms/token, runs {runs}")
    print(f"overhead ratio (profile / plain): {with_profile / base:.3f}")
    # Whole-run ratios drift with the machine's load; the steering step itself is cheap enough
    # to time directly and compare with a request's cost.
    vocab = backend_vocab_logits(len(prompts))
    started = time.perf_counter()
    for row in vocab:
        steer_first_step(row, profile)
    steer_ms = 1000 * (time.perf_counter() - started) / len(vocab)
    request_ms = base * args.max_tokens
    print(
        f"steering step alone: {steer_ms:.3f} ms per request, {100 * steer_ms / request_ms:.3f}% "
        f"of a {args.max_tokens}-token request at the plain median"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="llamacpp:default")
    parser.add_argument("--prompts", type=int, default=12)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
