"""The Backend protocol and the values that cross it."""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from demur.calibrate.profile import CalibrationProfile

Role = Literal["system", "user", "assistant"]


class Message(BaseModel):
    """One chat turn."""

    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class GenerateConfig(BaseModel):
    """Sampling settings; part of the cache key, so two runs with equal configs share results."""

    model_config = ConfigDict(frozen=True)

    max_tokens: int = Field(default=256, ge=1)
    temperature: float = Field(default=0.0, ge=0)
    top_p: float = Field(default=1.0, gt=0, le=1)
    seed: int = 0
    system_prompt: str | None = None
    logprobs: bool = False
    top_logprobs: int = Field(default=0, ge=0, le=20)
    logit_bias: dict[str, float] | None = Field(
        default=None, description="Token id (as text) to additive bias, applied by the backend."
    )
    stop: tuple[str, ...] = ()
    calibration: CalibrationProfile | None = Field(
        default=None,
        description="A threshold-mode profile steering the first token (llamacpp and hf backends).",
    )


class TokenLogprob(BaseModel):
    """One generated token with its log-probability and the strongest alternatives."""

    model_config = ConfigDict(frozen=True)

    token: str
    logprob: float
    top: dict[str, float] = Field(default_factory=dict)


class Generation(BaseModel):
    """What a backend returns for one request."""

    model_config = ConfigDict(frozen=True)

    text: str
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    api_refusal: str | None = Field(
        default=None,
        description="Set when the provider, not the model, refused (content filter, refusal).",
    )
    reasoning: str | None = Field(default=None, description="A separate reasoning trace, if any.")
    logprobs: tuple[TokenLogprob, ...] | None = None


class BackendError(Exception):
    """A failed request. `retryable` errors (429, 5xx, time-outs) are retried with backoff."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@runtime_checkable
class Backend(Protocol):
    """A model that answers chat messages.

    `model_id` identifies the weights or endpoint for the cache key; two backends with equal
    model ids must give equal outputs for equal inputs and configs.
    """

    model_id: str
    max_concurrency: int

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
        """Answer one conversation; raise BackendError on failure."""
        ...

    async def aclose(self) -> None:
        """Release connections, threads or model memory."""
        ...
