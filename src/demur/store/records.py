"""States a run produces and the store keeps."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from demur.backends.base import Message, TokenLogprob
from demur.judges.verdict import Verdict
from demur.suites.model import Prompt


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Completion(BaseModel):
    """One model answer, or the error that stood in its place, keyed by its cache key."""

    model_config = ConfigDict(frozen=True)

    cache_key: str = Field(description="sha256 of model id, generation config and messages.")
    model: str = Field(description="The backend's model id.")
    prompt_id: str
    messages: tuple[Message, ...] = Field(description="Exactly what was sent.")
    text: str = ""
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_s: float | None = None
    error: str | None = Field(default=None, description="Set when every attempt failed.")
    api_refusal: str | None = Field(default=None, description="The provider's refusal, if any.")
    reasoning: str | None = None
    logprobs: tuple[TokenLogprob, ...] | None = None
    attempts: int = 1
    created_at: str = Field(default_factory=utc_now)

    @property
    def ok(self) -> bool:
        return self.error is None


class RunRecord(BaseModel):
    """A run: which model answered which suite with which settings."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    model: str
    suite: str
    spec_json: str = Field(description="The RunSpec as JSON, to re-create the run.")
    demur_version: str
    created_at: str = Field(default_factory=utc_now)


class RunItem(BaseModel):
    """One prompt of a run, with the cache key of the completion that answers it."""

    model_config = ConfigDict(frozen=True)

    index: int
    prompt: Prompt
    cache_key: str


class ResultRow(BaseModel):
    """A run item joined with its completion and (optionally) one judge's verdict."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    index: int
    prompt: Prompt
    completion: Completion | None
    verdict: Verdict | None
