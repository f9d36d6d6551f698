"""The runner: generates every pending completion of a run, bounded and resumable."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from demur.backends.base import Backend, Generation, Message
from demur.run.retry import Attempted, RetryPolicy, with_retries
from demur.run.spec import RunSpec, build_messages, cache_key
from demur.store.records import Completion, RunItem, RunRecord
from demur.store.sqlite import Store
from demur.suites.model import Prompt

ProgressCallback = Callable[[int, int], None]
"""Called as (finished, pending) after each completion is stored."""


@dataclass(frozen=True)
class RunSummary:
    """What a call to `execute` did."""

    run_id: str
    items: int
    generated: int
    cached: int
    errors: int


def demur_version() -> str:
    try:
        return version("demur")
    except PackageNotFoundError:
        return "0+unknown"


def plan_items(spec: RunSpec, backend: Backend, prompts: Sequence[Prompt]) -> list[RunItem]:
    """One run item per prompt, keyed by what would be sent to the backend."""
    return [
        RunItem(
            index=index,
            prompt=prompt,
            cache_key=cache_key(
                backend.model_id, spec.generate, build_messages(prompt.text, spec.generate)
            ),
        )
        for index, prompt in enumerate(prompts)
    ]


async def execute(
    spec: RunSpec,
    backend: Backend,
    prompts: Sequence[Prompt],
    store: Store,
    *,
    concurrency: int | None = None,
    retry: RetryPolicy | None = None,
    progress: ProgressCallback | None = None,
) -> RunSummary:
    """Generate what the store lacks for this run; each completion is committed as it lands.

    Interrupting this (Ctrl-C, a crash, kill -9) loses only the requests in flight; calling it
    again with the same spec generates only what is missing.
    """
    items = plan_items(spec, backend, prompts)
    store.save_run(
        RunRecord(
            run_id=spec.run_id,
            model=spec.model,
            suite=spec.suite,
            spec_json=spec.model_dump_json(),
            demur_version=demur_version(),
        ),
        items,
    )
    done = store.finished_keys(item.cache_key for item in items)
    pending: dict[str, RunItem] = {}
    for item in items:
        if item.cache_key not in done:
            pending.setdefault(item.cache_key, item)
    limit = max(1, min(concurrency or backend.max_concurrency, backend.max_concurrency))
    policy = retry or RetryPolicy()
    semaphore = asyncio.Semaphore(limit)
    finished = 0
    errors = 0

    async def one(item: RunItem) -> None:
        nonlocal finished, errors
        messages = build_messages(item.prompt.text, spec.generate)
        async with semaphore:
            started = time.perf_counter()
            outcome = await with_retries(lambda: backend.generate(messages, spec.generate), policy)
            latency = time.perf_counter() - started
        store.put_completion(_completion(item, backend.model_id, messages, outcome, latency))
        finished += 1
        errors += outcome.error is not None
        if progress is not None:
            progress(finished, len(pending))

    tasks = [asyncio.create_task(one(item)) for item in pending.values()]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    return RunSummary(
        run_id=spec.run_id,
        items=len(items),
        generated=finished,
        cached=len(items) - sum(1 for i in items if i.cache_key in pending),
        errors=errors,
    )


def _completion(
    item: RunItem,
    model_id: str,
    messages: list[Message],
    outcome: Attempted[Generation],
    latency: float,
) -> Completion:
    common: dict[str, Any] = {
        "cache_key": item.cache_key,
        "model": model_id,
        "prompt_id": item.prompt.id,
        "messages": tuple(messages),
        "latency_s": latency,
        "attempts": outcome.attempts,
    }
    generation = outcome.value
    if generation is None:
        return Completion(**common, error=outcome.error or "no output")
    return Completion(
        **common,
        text=generation.text,
        finish_reason=generation.finish_reason,
        prompt_tokens=generation.prompt_tokens,
        completion_tokens=generation.completion_tokens,
        api_refusal=generation.api_refusal,
        reasoning=generation.reasoning,
        logprobs=generation.logprobs,
    )
