"""The transformers backend: a local causal LM on the CPU (or a GPU when torch sees one).

Specs:
  hf:DIR                  a transformers model directory (config.json, weights, tokenizer)
  hf:FILE.gguf            a GGUF file, dequantised by transformers on load
  hf:default              the embedded SmolLM2-135M-Instruct GGUF
Options after "?", joined by "&":
  refusal_tokens=show     keep refusal and respond tokens in the text (default: hide them)
  batch=N                 answer up to N concurrent requests in one padded batch (default 8)

The tokenizer's chat template formats the conversation. Concurrent requests with equal settings
are gathered into one batch, because one batched forward pass costs little more than one alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qs

from demur.backends.base import BackendError, GenerateConfig, Generation, Message, TokenLogprob
from demur.backends.registry import BackendOptions
from demur.train.tokens import ALL_TOKENS

log = logging.getLogger(__name__)

DEFAULT_BATCH = 8
_HASHED_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json")


@dataclass(frozen=True)
class HfSource:
    """Where the weights are: a directory, and a GGUF file name inside it when read from GGUF."""

    directory: Path
    gguf_file: str | None = None

    @property
    def label(self) -> str:
        return str(self.directory / self.gguf_file) if self.gguf_file else str(self.directory)


def resolve_source(name: str) -> HfSource:
    """A model directory, a GGUF file, or "default" (the embedded GGUF)."""
    if name in ("", "default"):
        from demur.backends.llamacpp import default_model_path

        gguf = default_model_path()
        return HfSource(gguf.parent, gguf.name)
    path = Path(name).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return HfSource(path.parent, path.name)
    if path.is_dir() and (path / "config.json").is_file():
        return HfSource(path)
    raise FileNotFoundError(
        f"hf backend: {name!r} is neither a transformers model directory (with config.json) "
        "nor a .gguf file"
    )


def fingerprint(source: HfSource) -> str:
    """A short hash of the config, tokenizer and weight files' names, sizes and first bytes,
    so a retrained model in the same directory gets a new model id (and cache keys)."""
    digest = hashlib.sha256()
    if source.gguf_file:
        files = [source.directory / source.gguf_file]
    else:
        files = [source.directory / n for n in _HASHED_FILES if (source.directory / n).is_file()]
        files += sorted(source.directory.glob("*.safetensors")) + sorted(
            source.directory.glob("*.bin")
        )
    for file in files:
        digest.update(file.name.encode())
        digest.update(str(file.stat().st_size).encode())
        with file.open("rb") as handle:
            digest.update(handle.read(1 << 16))
            if file.stat().st_size > 1 << 17:
                handle.seek(-(1 << 16), 2)
                digest.update(handle.read())
    return digest.hexdigest()[:12]


class _BiasProcessor:
    """Adds a fixed bias to chosen token logits (the OpenAI logit_bias semantics)."""

    def __init__(self, bias: dict[int, float], vocab_size: int):
        import torch

        self.vector = torch.zeros(vocab_size)
        for token_id, value in bias.items():
            if not 0 <= token_id < vocab_size:
                raise BackendError(
                    f"logit_bias token id {token_id} is outside the vocabulary "
                    f"(0-{vocab_size - 1})",
                    retryable=False,
                )
            self.vector[token_id] = value

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        return scores + self.vector.to(scores.device, scores.dtype)


@dataclass
class _Request:
    messages: list[Message]
    config: GenerateConfig
    future: asyncio.Future[Generation]


class HfBackend:
    """Runs one transformers causal LM in-process; batches run one at a time on a worker thread."""

    supports_calibration = True
    """Threshold-mode calibration profiles steer this backend's first token."""

    def __init__(
        self,
        source: HfSource,
        *,
        show_refusal_tokens: bool = False,
        batch_size: int = DEFAULT_BATCH,
        n_threads: int | None = None,
    ):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if n_threads:
            torch.set_num_threads(n_threads)
        self.source = source
        self.show_refusal_tokens = show_refusal_tokens
        self.max_concurrency = max(1, batch_size)
        shown = "show" if show_refusal_tokens else "hide"
        self.model_id = f"hf:{source.label}:{fingerprint(source)}:{shown}"
        kwargs: dict[str, Any] = {"gguf_file": source.gguf_file} if source.gguf_file else {}
        # transformers' own annotations are too loose for strict typing here: hold them as Any.
        self.tokenizer: Any = AutoTokenizer.from_pretrained(source.directory, **kwargs)
        self.model: Any = cast(
            Any,
            AutoModelForCausalLM.from_pretrained(source.directory, dtype=torch.float32, **kwargs),
        )
        self.model.eval()
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "left"
        vocab = self.tokenizer.get_vocab()
        self._marker_ids = {vocab[t] for t in ALL_TOKENS if t in vocab}
        self._drop_ids = {
            i for i in (self.tokenizer.eos_token_id, self.tokenizer.pad_token_id) if i is not None
        }
        self._lock = threading.Lock()
        self._queue: list[_Request] = []
        self._worker: asyncio.Task[None] | None = None

    # The blocking part, run on a worker thread.

    def generate_batch(
        self, conversations: list[list[Message]], config: GenerateConfig
    ) -> list[Generation]:
        """Answer several conversations with one padded generate call."""
        import torch

        texts = [self._render(messages) for messages in conversations]
        encoded = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        kwargs: dict[str, Any] = {
            "max_new_tokens": config.max_tokens,
            "pad_token_id": self.tokenizer.pad_token_id,
            "return_dict_in_generate": True,
            "output_scores": config.logprobs,
        }
        if config.temperature > 0:
            kwargs.update(do_sample=True, temperature=config.temperature, top_p=config.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        if config.stop:
            kwargs.update(stop_strings=list(config.stop), tokenizer=self.tokenizer)
        processors: list[Any] = []
        if config.logit_bias:
            bias = {int(k): v for k, v in config.logit_bias.items()}
            vocab_size = self.model.get_output_embeddings().weight.shape[0]
            processors.append(_BiasProcessor(bias, vocab_size))
        if config.calibration is not None:
            from demur.calibrate.apply import FirstStepSteer

            processors.append(FirstStepSteer(config.calibration))
        if processors:
            from transformers import LogitsProcessorList

            kwargs["logits_processor"] = LogitsProcessorList(processors)
        with self._lock, torch.inference_mode():
            torch.manual_seed(config.seed)
            try:
                out = self.model.generate(**encoded, **kwargs)
            except (RuntimeError, ValueError) as exc:
                raise BackendError(f"transformers: {exc}", retryable=False) from exc
        prompt_len = encoded["input_ids"].shape[1]
        results = []
        for row in range(len(texts)):
            results.append(
                self._one(
                    out.sequences[row, prompt_len:].tolist(),
                    [scores[row] for scores in out.scores] if config.logprobs else None,
                    int(encoded["attention_mask"][row].sum()),
                    config,
                )
            )
        return results

    def _render(self, messages: list[Message]) -> str:
        rendered = self.tokenizer.apply_chat_template(
            [m.model_dump() for m in messages], tokenize=False, add_generation_prompt=True
        )
        return str(rendered)

    def _one(
        self, ids: list[int], scores: list[Any] | None, prompt_tokens: int, config: GenerateConfig
    ) -> Generation:
        eos = self.tokenizer.eos_token_id
        finish = "length"
        if eos is not None and eos in ids:
            ids = ids[: ids.index(eos) + 1]
            finish = "stop"
        kept = [
            i
            for i in ids
            if i not in self._drop_ids and (self.show_refusal_tokens or i not in self._marker_ids)
        ]
        text = self.tokenizer.decode(kept, skip_special_tokens=False)
        for stop in config.stop:
            if stop in text:
                text = text[: text.index(stop)]
                finish = "stop"
        return Generation(
            text=text,
            finish_reason=finish,
            prompt_tokens=prompt_tokens,
            completion_tokens=len(ids),
            logprobs=self._logprobs(ids, scores, config.top_logprobs) if scores else None,
        )

    def _logprobs(self, ids: list[int], scores: list[Any], top: int) -> tuple[TokenLogprob, ...]:
        import torch

        entries = []
        for token_id, step in zip(ids, scores, strict=False):
            logp = torch.log_softmax(step.float(), dim=-1)
            alternatives: dict[str, float] = {}
            if top:
                values, indices = torch.topk(logp, top)
                alternatives = {
                    self.tokenizer.decode([int(i)]): float(v)
                    for v, i in zip(values, indices, strict=True)
                }
            entries.append(
                TokenLogprob(
                    token=self.tokenizer.decode([token_id]),
                    logprob=float(logp[token_id]),
                    top=alternatives,
                )
            )
        return tuple(entries)

    # The async side: gather concurrent requests into batches.

    async def generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
        future: asyncio.Future[Generation] = asyncio.get_running_loop().create_future()
        self._queue.append(_Request(messages, config, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            # Let requests that are being submitted right now join this batch.
            for _ in range(4):
                await asyncio.sleep(0)
            config = self._queue[0].config
            batch = [r for r in self._queue if r.config == config][: self.max_concurrency]
            self._queue = [r for r in self._queue if r not in batch]
            batch = [r for r in batch if not r.future.done()]
            if not batch:
                continue
            try:
                answers = await asyncio.to_thread(
                    self.generate_batch, [r.messages for r in batch], config
                )
            except BackendError as exc:
                for request in batch:
                    if not request.future.done():
                        request.future.set_exception(exc)
                continue
            for request, answer in zip(batch, answers, strict=True):
                if not request.future.done():
                    request.future.set_result(answer)

    async def aclose(self) -> None:
        if self._worker is not None:
            await self._worker
        self._worker = None


def create(name: str, options: BackendOptions) -> HfBackend:
    base, _, query = name.partition("?")
    params = {k: v[-1] for k, v in parse_qs(query).items()}
    unknown = set(params) - {"refusal_tokens", "batch"}
    if unknown:
        raise ValueError(
            f"hf backend: unknown option(s) {', '.join(sorted(unknown))} in {name!r}; "
            "known: refusal_tokens=show|hide, batch=N"
        )
    shown = params.get("refusal_tokens", "hide")
    if shown not in ("show", "hide"):
        raise ValueError(f"hf backend: refusal_tokens must be show or hide, not {shown!r}")
    batch = int(params.get("batch", options.concurrency or DEFAULT_BATCH))
    return HfBackend(
        resolve_source(base),
        show_refusal_tokens=shown == "show",
        batch_size=batch,
        n_threads=options.n_threads,
    )
