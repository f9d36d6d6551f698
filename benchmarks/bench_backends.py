"""demur's overhead against bare baselines, on the same prompts, settings and servers.

(a) llamacpp: the runner with the llamacpp backend (thread hop, parsing, a committed SQLite row per
    completion) against bare `Llama.create_chat_completion` calls on the same Llama instance with
    the same arguments.
(b) openai: the runner with the openai backend against a plain aiohttp loop at the same
    concurrency, both against one fake OpenAI-compatible server on loopback that answers after a
    fixed delay; also the ideal time (requests / concurrency * delay) and the backend alone
    (no runner, no store), to tell the backend's cost from the runner's.

Each measurement alternates demur and its baseline `--repeats` times and reports medians, as the
machine is shared and its load drifts. This prints figures; it is not a test.

    python benchmarks/bench_backends.py                  # both
    python benchmarks/bench_backends.py --only openai --profile openai.prof
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import math
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from demur.backends.base import GenerateConfig, Message
from demur.backends.llamacpp import LlamaCppBackend, chat_kwargs
from demur.backends.openai import OpenAIBackend
from demur.backends.openai import create as create_openai
from demur.backends.registry import BackendOptions, create_backend
from demur.run.retry import RetryPolicy
from demur.run.runner import execute
from demur.run.sampling import stratified_sample
from demur.run.spec import RunSpec, build_messages
from demur.store.records import Completion
from demur.store.sqlite import Store
from demur.suites.model import Expected, Prompt
from demur.suites.resolve import resolve_prompts

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "backends"))
from backend_servers import start_fake_server, stop  # noqa: E402


@dataclass
class Timings:
    """Wall times per variant, one entry per repetition; the first variant is the baseline."""

    runs: dict[str, list[float]]
    cpu: dict[str, list[float]]

    def ratio(self, name: str, baseline: str) -> float:
        """Median over repetitions of the paired ratio: robust to load drifting between pairs."""
        pairs = zip(self.runs[name], self.runs[baseline], strict=True)
        return statistics.median(d / b for d, b in pairs)

    def median(self, name: str) -> float:
        return statistics.median(self.runs[name])


def measure(variants: dict[str, Callable[[int], object]], repeats: int) -> Timings:
    """Time every variant `repeats` times, rotating their order so none always goes first."""
    names = list(variants)
    timings = Timings({name: [] for name in names}, {name: [] for name in names})
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            started, cpu = time.perf_counter(), time.process_time()
            variants[name](repeat)
            timings.runs[name].append(time.perf_counter() - started)
            timings.cpu[name].append(time.process_time() - cpu)
            print(
                f"    ({repeat + 1}/{repeats}) {name}: {timings.runs[name][-1]:.3f} s", flush=True
            )
    return timings


def report(timings: Timings, baseline: str, per: int, ideal: float | None = None) -> None:
    """Print wall times, ratios and this process's CPU time per request (`per` requests)."""
    for name, times in timings.runs.items():
        cpu_ms = statistics.median(timings.cpu[name]) / per * 1000
        line = f"  {name:<31} median {timings.median(name):6.3f} s, CPU {cpu_ms:6.3f} ms/req"
        if name != baseline:
            line += f"   / {baseline}: {timings.ratio(name, baseline):.3f}"
        if ideal:
            line += f"   / ideal: {timings.median(name) / ideal:.3f}"
        print(line + f"   [{' '.join(f'{t:.3f}' for t in times)}]")


class TickBatchedStore(Store):
    """A prototype for the lead, not demur's store: completions that land in the same event-loop
    tick are committed together in one transaction, right after the tick, instead of one commit
    each. It measures what group commits would save; crash safety changes by one tick at most."""

    def __init__(self, path: str | Path):
        super().__init__(path)
        self._pending: list[Completion] = []
        self._batching = False

    def _transaction(self) -> Any:
        return contextlib.nullcontext() if self._batching else super()._transaction()

    def put_completion(self, completion: Completion) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self._pending.append(completion)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        with super()._transaction():
            self._batching = True
            try:
                for completion in pending:
                    super().put_completion(completion)
            finally:
                self._batching = False

    def close(self) -> None:
        self.flush()
        super().close()


async def run_through_runner(
    backend: Any,
    prompts: list[Prompt],
    spec: RunSpec,
    concurrency: int | None,
    *,
    in_memory: bool = False,
    batched: bool = False,
) -> None:
    """One demur pass into a fresh store (a file, or SQLite in memory), so nothing is cached."""
    with tempfile.TemporaryDirectory() as folder:
        path = ":memory:" if in_memory else Path(folder) / "bench.sqlite"
        with (TickBatchedStore if batched else Store)(path) as store:
            summary = await execute(
                spec, backend, prompts, store, concurrency=concurrency, retry=RetryPolicy()
            )
            if isinstance(store, TickBatchedStore):
                store.flush()
            if store.completion_count() != len(prompts):
                raise RuntimeError("the demur pass did not store every completion")
    if summary.errors or summary.generated != len(prompts):
        raise RuntimeError(f"the demur pass failed: {summary}")


# (a) llamacpp ----------------------------------------------------------------------------------


def bench_llamacpp(
    count: int, max_tokens: int, repeats: int, threads: int | None
) -> tuple[Timings, list[float]]:
    """Paired wall times, and the share of demur's wall time spent outside llama.cpp's call.

    The share is robust to a loaded machine: it is what demur adds around the very same calls.
    """
    # The sample keeps one prompt per stratum at least, so cut it to the size asked for.
    prompts = stratified_sample(resolve_prompts("noncompliance,contrast"), count, seed=0)[:count]
    config = GenerateConfig(max_tokens=max_tokens)
    backend = create_backend("llamacpp:default", BackendOptions(n_threads=threads))
    assert isinstance(backend, LlamaCppBackend)
    llm = backend.llm  # the very same Llama instance for both sides
    requests = [chat_kwargs(build_messages(p.text, config), config) for p in prompts]
    original = llm.create_chat_completion
    inside: list[float] = []
    outside_share: list[float] = []

    def counted(**kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(**kwargs)
        finally:
            inside.append(time.perf_counter() - started)

    def bare_calls() -> None:
        for kwargs in requests:
            original(**kwargs)

    # The bare calls run on a fresh worker thread per pass, as demur's do (asyncio.run gives each
    # pass a new default executor). On these loaded, memory-reclaiming machines llama-cpp-python
    # on a long-lived thread (the main one, or one reused pass after pass) was measured 10-50x
    # slower than on a fresh one, from page faults, not compute: a baseline that hit that would
    # flatter demur instead of measuring it.
    def bare(_: int) -> None:
        with ThreadPoolExecutor(max_workers=1) as worker:
            worker.submit(bare_calls).result()

    def through_demur(repeat: int) -> None:
        # The seed is part of the cache key; greedy decoding ignores it, so outputs are equal.
        generate = config.model_copy(update={"seed": repeat})
        spec = RunSpec(model="llamacpp:default", suite="bench", sample=None, generate=generate)
        inside.clear()
        llm.create_chat_completion = counted  # type: ignore[method-assign]
        started = time.perf_counter()
        try:
            asyncio.run(run_through_runner(backend, prompts, spec, None))
        finally:
            llm.create_chat_completion = original  # type: ignore[method-assign]
        wall = time.perf_counter() - started
        outside_share.append((wall - sum(inside)) / sum(inside))

    bare(0)  # warm up caches and pages once
    timings = measure({"bare llama-cpp-python": bare, "demur runner+store": through_demur}, repeats)
    asyncio.run(backend.aclose())
    return timings, outside_share


# (b) openai ------------------------------------------------------------------------------------


def openai_prompts(count: int) -> list[Prompt]:
    return [
        Prompt(
            id=f"b{i}",
            text=f"benchmark question number {i}: say something short",
            category="unsafe",
            subcategory="privacy",
            expected=Expected.NONCOMPLY,
        )
        for i in range(count)
    ]


async def bare_aiohttp(url: str, prompts: list[Prompt], concurrency: int, tag: str) -> None:
    """The plain async client: one session, a semaphore, post, read, decode."""
    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(prompt: Prompt) -> None:
            payload = {
                "model": "fake",
                "messages": [{"role": "user", "content": f"{prompt.text} {tag}"}],
                "max_tokens": 256,
                "temperature": 0.0,
            }
            async with semaphore, session.post(f"{url}/chat/completions", json=payload) as reply:
                body = await reply.json()
                if reply.status != 200 or not body["choices"]:
                    raise RuntimeError(f"bare loop: HTTP {reply.status}")

        await asyncio.gather(*(one(p) for p in prompts))


async def backend_alone(backend: OpenAIBackend, prompts: list[Prompt], concurrency: int) -> None:
    semaphore = asyncio.Semaphore(concurrency)
    config = GenerateConfig()

    async def one(prompt: Prompt) -> None:
        async with semaphore:
            await backend.generate([Message(role="user", content=prompt.text)], config)

    try:
        await asyncio.gather(*(one(p) for p in prompts))
    finally:
        await backend.aclose()


def bench_openai(
    requests: int, delay_s: float, concurrency: int, repeats: int, profile: Path | None
) -> tuple[Timings, float]:
    process, url = start_fake_server("--delay", str(delay_s))
    prompts = openai_prompts(requests)
    options = BackendOptions(base_url=url, concurrency=concurrency)

    def backend() -> OpenAIBackend:
        # The factory itself: create_backend would also scan every installed package's entry
        # points (LazyRegistry.names), a one-off start-up cost measured apart from the runner.
        return create_openai("fake", options)

    def spec(repeat: int) -> RunSpec:
        # A new seed per repetition gives new cache keys, so the runner really generates.
        return RunSpec(
            model="openai:fake",
            suite="bench",
            sample=None,
            base_url=url,
            generate=GenerateConfig(seed=repeat),
        )

    async def demur_pass(repeat: int, in_memory: bool, batched: bool = False) -> None:
        made = backend()
        try:
            await run_through_runner(
                made, prompts, spec(repeat), concurrency, in_memory=in_memory, batched=batched
            )
        finally:
            await made.aclose()

    variants: dict[str, Callable[[int], object]] = {
        "bare aiohttp loop": lambda r: asyncio.run(bare_aiohttp(url, prompts, concurrency, str(r))),
        "demur runner+store (file)": lambda r: asyncio.run(demur_pass(r, False)),
        "demur runner+store (in memory)": lambda r: asyncio.run(demur_pass(r, True)),
        "demur runner+tick-batched store": lambda r: asyncio.run(demur_pass(r, False, True)),
        "demur backend alone": lambda r: asyncio.run(
            backend_alone(backend(), prompts, concurrency)
        ),
    }
    try:
        asyncio.run(bare_aiohttp(url, prompts[:32], concurrency, "warm-up"))
        timings = measure(variants, repeats)
        if profile is not None:
            profiler = cProfile.Profile()
            profiler.enable()
            asyncio.run(demur_pass(repeats, False))
            profiler.disable()
            profiler.dump_stats(profile)
    finally:
        stop(process)
    return timings, math.ceil(requests / concurrency) * delay_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["llamacpp", "openai"], default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--llama-prompts", type=int, default=8)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="llama.cpp threads (all cores)")
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile of a demur pass")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    figures: dict[str, Any] = {}
    if args.only in (None, "openai"):
        timings, ideal = bench_openai(
            args.requests, args.delay, args.concurrency, args.repeats, args.profile
        )
        print(
            f"openai: {args.requests} requests, {args.concurrency} in flight, server delay "
            f"{args.delay * 1000:.0f} ms, ideal {ideal:.3f} s, {args.repeats} repetitions"
        )
        report(timings, "bare aiohttp loop", args.requests, ideal)
        sys.stdout.flush()
        figures["openai"] = {
            "ideal_s": ideal,
            **vars(args),
            "wall_s": timings.runs,
            "cpu_s": timings.cpu,
        }
    if args.only in (None, "llamacpp"):
        timings, outside = bench_llamacpp(
            args.llama_prompts, args.max_tokens, args.repeats, args.threads
        )
        print(
            f"llamacpp: {args.llama_prompts} prompts, max_tokens {args.max_tokens}, greedy, "
            f"the same Llama instance, {args.repeats} repetitions"
        )
        report(timings, "bare llama-cpp-python", args.llama_prompts)
        print(
            "  demur's time outside llama.cpp's calls, as a share of the time inside them: "
            f"median {statistics.median(outside) * 100:.2f}% "
            f"[{' '.join(f'{x * 100:.2f}%' for x in outside)}]",
            flush=True,
        )
        figures["llamacpp"] = {
            **vars(args),
            "wall_s": timings.runs,
            "cpu_s": timings.cpu,
            "outside_share": outside,
        }
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2, default=str))


if __name__ == "__main__":
    main()
