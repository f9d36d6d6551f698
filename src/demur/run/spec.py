"""RunSpec: everything that decides what a run generates."""

from __future__ import annotations

import hashlib
import json

from pydantic import BaseModel, ConfigDict, Field

from demur.backends.base import GenerateConfig, Message

DEFAULT_MODEL = "llamacpp:default"
DEFAULT_SUITE = "noncompliance,contrast"
DEFAULT_SAMPLE = 60


class RunSpec(BaseModel):
    """What to run. Equal specs give equal run ids, so re-running a command resumes its run."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(default=DEFAULT_MODEL, description="BACKEND:NAME model spec.")
    suite: str = Field(
        default=DEFAULT_SUITE, description="Suite names or LOADER:PATH, comma-separated."
    )
    sample: int | None = Field(
        default=DEFAULT_SAMPLE, ge=1, description="Stratified sample size; None runs every prompt."
    )
    seed: int = 0
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    base_url: str | None = Field(default=None, description="Endpoint for the openai backend.")

    @property
    def run_id(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cache_key(model_id: str, config: GenerateConfig, messages: list[Message]) -> str:
    """The identity of one generation: same model, settings and messages give the same key."""
    blob = json.dumps(
        {
            "model": model_id,
            "config": config.model_dump(mode="json"),
            "messages": [m.model_dump() for m in messages],
        },
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def build_messages(prompt_text: str, config: GenerateConfig) -> list[Message]:
    """The conversation sent for a single-turn prompt."""
    messages = (
        [Message(role="system", content=config.system_prompt)] if config.system_prompt else []
    )
    messages.append(Message(role="user", content=prompt_text))
    return messages
