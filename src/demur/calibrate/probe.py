"""Reading a model's first-position logits, for fitting and sweeping profiles.

Only in-process backends (llamacpp, hf) expose full logits. Fitting costs one prompt pass per
calibration prompt; applying a fitted profile later costs nothing extra.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np

from demur.backends.base import Backend, Message

REFUSAL_OPENINGS: tuple[str, ...] = (
    "Sorry",
    "I'm sorry",
    "I am sorry",
    "I apologize",
    "I cannot",
    "I can't",
    "I won't",
    "Unfortunately",
)
"""Openings whose first tokens make the 'any' score of a model without refusal tokens."""


class ProbeUnsupportedError(TypeError):
    """The backend cannot show its first-position logits."""


def _llamacpp_logits(backend: Any, messages: list[Message]) -> np.ndarray:
    captured: list[np.ndarray] = []

    def capture(input_ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
        if not captured:
            captured.append(np.array(scores, copy=True))
        return scores

    with backend._lock:
        backend.llm.create_chat_completion(
            messages=[m.model_dump() for m in messages],
            max_tokens=1,
            temperature=0.0,
            logits_processor=[capture],
        )
    return captured[0]


def _hf_logits(backend: Any, messages: list[Message]) -> np.ndarray:
    import torch

    text = backend._render(messages)
    encoded = backend.tokenizer(text, return_tensors="pt", add_special_tokens=False)
    with backend._lock, torch.inference_mode():
        logits = backend.model(**encoded).logits[0, -1]
    return np.asarray(logits.float().numpy())


def first_logits_sync(backend: Backend, messages: list[Message]) -> np.ndarray:
    """The logit vector the model computes for its first answer token."""
    kind = type(backend).__name__
    if kind == "LlamaCppBackend":
        return _llamacpp_logits(backend, messages)
    if kind == "HfBackend":
        return _hf_logits(backend, messages)
    raise ProbeUnsupportedError(
        f"{kind} does not expose logits; calibrate with an llamacpp or hf model"
    )


async def first_logits(backend: Backend, messages: list[Message]) -> np.ndarray:
    return await asyncio.to_thread(first_logits_sync, backend, messages)


def vocabulary_ids(backend: Backend, tokens: Sequence[str]) -> tuple[int, ...]:
    """Ids of special tokens (each must be a single token in the model's vocabulary)."""
    ids = []
    for token in tokens:
        found = _tokenize(backend, token)
        if len(found) != 1:
            raise ValueError(
                f"{token!r} is not one token of this model: is it a refusal-token model?"
            )
        ids.append(found[0])
    return tuple(ids)


def opening_ids(backend: Backend, openings: Sequence[str] = REFUSAL_OPENINGS) -> tuple[int, ...]:
    """The distinct first tokens of refusal openings, for the 'any' key."""
    return tuple(sorted({_tokenize(backend, text)[0] for text in openings}))


def _tokenize(backend: Backend, text: str) -> list[int]:
    kind = type(backend).__name__
    if kind == "LlamaCppBackend":
        llm: Any = getattr(backend, "llm")  # noqa: B009 (not on the protocol)
        return list(llm.tokenize(text.encode(), add_bos=False, special=True))
    if kind == "HfBackend":
        tokenizer: Any = getattr(backend, "tokenizer")  # noqa: B009
        return list(tokenizer.encode(text, add_special_tokens=False))
    raise ProbeUnsupportedError(f"{kind} has no tokenizer demur can read")
