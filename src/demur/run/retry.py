"""Retries with exponential backoff, jitter and Retry-After, for any backend."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from demur.backends.base import BackendError

T = TypeVar("T")


class RetryPolicy(BaseModel):
    """How often and how patiently to retry a failed request."""

    model_config = ConfigDict(frozen=True)

    max_retries: int = Field(default=4, ge=0)
    base_delay_s: float = Field(default=0.5, ge=0)
    max_delay_s: float = Field(default=30.0, ge=0)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay_s)
        ceiling = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


@dataclass(frozen=True)
class Attempted(Generic[T]):
    """A call's result after retries: its value, or the last error's text, and the attempts."""

    value: T | None
    error: str | None
    attempts: int


async def with_retries(call: Callable[[], Awaitable[T]], policy: RetryPolicy) -> Attempted[T]:
    """Run `call`, retrying retryable BackendErrors.

    A non-retryable error, or a retryable one after the last attempt, becomes the error text:
    the caller records it as an error, never as a model outcome.
    """
    attempt = 0
    while True:
        attempt += 1
        try:
            return Attempted(await call(), None, attempt)
        except BackendError as exc:
            if not exc.retryable or attempt > policy.max_retries:
                return Attempted(None, f"{type(exc).__name__}: {exc}", attempt)
            await asyncio.sleep(policy.delay(attempt, exc.retry_after))
