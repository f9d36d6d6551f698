"""Shared parts of the LLM-judge modes: asking a judge backend and reading its fixed final line."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence

from demur.backends.base import Backend, GenerateConfig, Message
from demur.run.retry import RetryPolicy, with_retries

JUDGE_CONFIG = GenerateConfig(max_tokens=400, temperature=0.0)
"""Greedy, with room for a short rationale before the verdict line."""


def judge_semaphore(backend: Backend, concurrency: int | None) -> asyncio.Semaphore:
    """A bound on requests in flight to a judge backend."""
    return asyncio.Semaphore(
        max(1, min(concurrency or backend.max_concurrency, backend.max_concurrency))
    )


def parse_final_line(text: str, key: str, choices: Sequence[str]) -> str | None:
    """The choice named on the last non-empty line, which must read `KEY: CHOICE`; else None.

    Strict on purpose: a judge that does not end with the fixed line is counted as undecided,
    never guessed from words elsewhere in its text.
    """
    lines = [line.strip().strip("*`_ ") for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return None
    match = re.fullmatch(rf"{re.escape(key)}\s*:\s*([A-Za-z_ -]+?)\.?", lines[-1], re.IGNORECASE)
    if not match:
        return None
    said = match.group(1).strip().lower().replace(" ", "_").replace("-", "_")
    return said if said in choices else None


async def ask_judge(
    backend: Backend,
    prompts: Sequence[str],
    *,
    retry: RetryPolicy | None = None,
    concurrency: int | None = None,
    semaphore: asyncio.Semaphore | None = None,
    config: GenerateConfig = JUDGE_CONFIG,
) -> list[str | None]:
    """The judge model's text for each prompt (None where every attempt failed).

    Pass a `semaphore` shared across calls to bound requests in flight across concurrent
    callers (the protocol judges each scenario's turns separately).
    """
    if semaphore is None:
        semaphore = judge_semaphore(backend, concurrency)
    policy = retry or RetryPolicy()

    async def one(prompt: str) -> str | None:
        messages = [Message(role="user", content=prompt)]
        async with semaphore:
            outcome = await with_retries(lambda: backend.generate(messages, config), policy)
        return outcome.value.text if outcome.value is not None else None

    return list(await asyncio.gather(*(one(p) for p in prompts)))


def fence(text: str) -> str:
    """Model text set off for a judge prompt, so it cannot pass for the instructions."""
    return "<<<\n" + text.replace("<<<", "< < <").replace(">>>", "> > >") + "\n>>>"
