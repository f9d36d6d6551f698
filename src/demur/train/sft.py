"""Supervised fine-tuning with LoRA or all weights, optionally with refusal tokens.

`train` is one function, top to bottom, on purpose (TRL's rule: no registries or hidden steps in
training code): load, add tokens, wrap, tokenise, loop, checkpoint, merge, save. Loss is taken on
the assistant's tokens only. With refusal tokens, each target response opens with its category's
refusal token, or the respond token for contrast items (Jain et al. 2024).
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from demur.train.synth import read_jsonl
from demur.train.tokens import ALL_TOKENS, target_token

log = logging.getLogger(__name__)

CONFIG_FILE = "demur-train.json"
CHECKPOINTS = "checkpoints"
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


class TrainConfig(BaseModel):
    """Everything that decides a training run; saved beside the model it makes."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="A transformers model directory, a .gguf file, or 'default'.")
    data: str = Field(description="Chat JSONL written by `demur synth` (or the same shape).")
    out: str = Field(description="Directory of the trained model, its config and checkpoints.")
    method: Literal["lora", "full"] = "lora"
    refusal_tokens: bool = True
    epochs: float = Field(default=2.0, gt=0)
    max_steps: int | None = Field(default=None, ge=1, description="Overrides epochs when set.")
    batch_size: int = Field(default=8, ge=1)
    learning_rate: float | None = Field(
        default=None, gt=0, description="Default: 3e-4 for LoRA, 3e-5 for full fine-tuning."
    )
    warmup_steps: int = Field(default=10, ge=0)
    token_lr_scale: float = Field(
        default=10.0, gt=0, description="Learning-rate factor for the new token rows (LoRA)."
    )
    weight_decay: float = 0.0
    lora_r: int = Field(default=16, ge=1)
    lora_alpha: int = Field(default=32, ge=1)
    lora_dropout: float = Field(default=0.05, ge=0, lt=1)
    max_length: int = Field(default=384, ge=16)
    seed: int = 0
    checkpoint_every: int = Field(default=50, ge=1)
    threads: int | None = Field(default=None, ge=1)

    @property
    def lr(self) -> float:
        if self.learning_rate is not None:
            return self.learning_rate
        return 3e-4 if self.method == "lora" else 3e-5


@dataclass(frozen=True)
class StepInfo:
    """Progress after one optimiser step."""

    step: int
    total: int
    loss: float


@dataclass(frozen=True)
class TrainResult:
    """Where the trained model lies and how the run went."""

    out: Path
    steps: int
    resumed_from: int
    final_loss: float
    seconds: float
    examples: int


def train(
    config: TrainConfig,
    *,
    resume: bool = False,
    on_step: Callable[[StepInfo], None] | None = None,
) -> TrainResult:
    """Fine-tune `config.model` on `config.data` and save a merged model in `config.out`.

    The saved directory loads with `hf:OUT` at once. With `resume`, training continues from the
    newest checkpoint in OUT/checkpoints (same config required) instead of starting over.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from demur.backends.hf import resolve_source

    started = time.perf_counter()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    checkpoints = out / CHECKPOINTS

    # 1. Seeds and threads, so a run is repeatable.
    random.seed(config.seed)
    torch.manual_seed(config.seed)
    if config.threads:
        torch.set_num_threads(config.threads)

    # 2. The base model and tokenizer (a GGUF file is dequantised to fp32 by transformers).
    source = resolve_source(config.model)
    load_kwargs: dict[str, Any] = {"gguf_file": source.gguf_file} if source.gguf_file else {}
    # transformers and peft annotate loosely; strict typing gains nothing on these two objects.
    tokenizer: Any = AutoTokenizer.from_pretrained(source.directory, **load_kwargs)
    model: Any = AutoModelForCausalLM.from_pretrained(
        source.directory, dtype=torch.float32, **load_kwargs
    )
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token

    # 3. Refusal tokens: added as special tokens, embeddings resized (new rows start at the mean).
    new_token_ids: list[int] = []
    if config.refusal_tokens:
        tokenizer.add_tokens(list(ALL_TOKENS), special_tokens=True)
        model.resize_token_embeddings(len(tokenizer), mean_resizing=True)
        new_token_ids = tokenizer.convert_tokens_to_ids(list(ALL_TOKENS))

    # 4. LoRA adapters (plus the new token rows, trained through peft's trainable tokens) or
    #    every weight.
    if config.method == "lora":
        from peft import LoraConfig, get_peft_model

        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=list(LORA_TARGETS),
            trainable_token_indices={"embed_tokens": new_token_ids} if new_token_ids else None,
            task_type="CAUSAL_LM",
        )
        model = get_peft_model(model, lora)
    model.train()

    # 5. Tokenise: the prompt through the chat template, the target after it; labels mask the
    #    prompt so the loss covers the assistant's tokens only.
    examples = read_jsonl(Path(config.data))
    if not examples:
        raise ValueError(f"{config.data}: no training examples")
    end = tokenizer.eos_token or ""
    rows: list[tuple[list[int], list[int]]] = []
    for example in examples:
        messages = [dict(m) for m in example.messages]
        prompt = tokenizer.apply_chat_template(
            messages[:-1], tokenize=False, add_generation_prompt=True
        )
        opener = target_token(example.category, example.expected) if config.refusal_tokens else ""
        target = f"{opener}{messages[-1]['content']}{end}"
        prompt_ids = tokenizer(str(prompt), add_special_tokens=False)["input_ids"]
        target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
        ids = (prompt_ids + target_ids)[: config.max_length]
        labels = ([-100] * len(prompt_ids) + target_ids)[: config.max_length]
        rows.append((ids, labels))

    # 6. Schedule: a fixed data order per epoch (seeded), linear warm-up then linear decay.
    steps_per_epoch = math.ceil(len(rows) / config.batch_size)
    total = config.max_steps or max(1, math.ceil(steps_per_epoch * config.epochs))
    # The new token rows start at the centroid of the embeddings, beside thousands of rare tokens
    # with nearly the same logit; at the adapters' learning rate they barely move in a short run,
    # and raising them lifts the rare tokens too (measured: junk tokens won the first position).
    # So they learn faster, in their own parameter group (LoRA; full tuning has one matrix).
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    trainable = [p for _, p in named]
    token_rows = [p for n, p in named if "trainable_tokens_delta" in n]
    rest = [p for n, p in named if "trainable_tokens_delta" not in n]
    groups: list[dict[str, Any]] = [{"params": rest, "lr": config.lr}]
    if token_rows:
        groups.append({"params": token_rows, "lr": config.lr * config.token_lr_scale})
    optimizer = torch.optim.AdamW(groups, lr=config.lr, weight_decay=config.weight_decay)

    def schedule(step: int) -> float:
        if step < config.warmup_steps:
            return (step + 1) / (config.warmup_steps + 1)
        return max(0.0, (total - step) / max(1, total - config.warmup_steps))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)

    def batch_at(step: int) -> list[tuple[list[int], list[int]]]:
        epoch, position = divmod(step, steps_per_epoch)
        order = list(range(len(rows)))
        random.Random(config.seed * 1_000_003 + epoch).shuffle(order)
        chosen = order[position * config.batch_size : (position + 1) * config.batch_size]
        return [rows[i] for i in chosen]

    # 7. Resume: trainable weights, optimiser and scheduler from the newest checkpoint.
    step = 0
    if resume and checkpoints.is_dir():
        saved = sorted(checkpoints.glob("step-*"), key=lambda p: int(p.name.split("-")[1]))
        if saved:
            state = torch.load(saved[-1] / "state.pt", weights_only=False)
            # The length of a run (stop early, train longer) and its folder may change on resume;
            # anything else would silently mix two different trainings.
            length = {"max_steps", "epochs", "checkpoint_every", "out"}
            before = {k: v for k, v in state["config"].items() if k not in length}
            now = {k: v for k, v in config.model_dump(mode="json").items() if k not in length}
            if before != now:
                changed = ", ".join(sorted(k for k in now if before.get(k) != now[k]))
                raise ValueError(
                    f"{saved[-1]}: the checkpoint was made with a different config ({changed}); "
                    "use the same options to resume (only the run length may change), "
                    "or a new --out to start over"
                )
            names = dict(model.named_parameters())
            with torch.no_grad():
                for name, value in state["weights"].items():
                    names[name].copy_(value)
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            torch.set_rng_state(state["rng"])
            step = int(state["step"])
            log.info("resumed from %s at step %d", saved[-1], step)
    resumed_from = step

    def save_checkpoint(at: int) -> None:
        folder = checkpoints / f"step-{at}"
        folder.mkdir(parents=True, exist_ok=True)
        weights = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
        torch.save(
            {
                "config": config.model_dump(mode="json"),
                "step": at,
                "weights": weights,
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": torch.get_rng_state(),
            },
            folder / "state.pt",
        )
        for old in checkpoints.glob("step-*"):  # keep the newest two
            if int(old.name.split("-")[1]) < at - config.checkpoint_every:
                for file in old.iterdir():
                    file.unlink()
                old.rmdir()

    # 8. The loop.
    pad = tokenizer.pad_token_id
    loss_value = float("nan")
    while step < total:
        batch = batch_at(step)
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in batch])
        labels = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch])
        mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch])
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        loss_value = float(loss.detach())
        if on_step is not None:
            on_step(StepInfo(step, total, loss_value))
        if step % config.checkpoint_every == 0 and step < total:
            save_checkpoint(step)

    # 9. Save a plain transformers model (LoRA merged in), its tokenizer and the config.
    model.eval()
    if config.method == "lora":
        model.save_pretrained(out / "adapter")
        model = model.merge_and_unload()
    if source.gguf_file:
        # The weights were dequantised to fp32 on load; without this, transformers still calls
        # the model "quantized with gguf" and refuses to save it.
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    seconds = time.perf_counter() - started
    record = {
        "config": config.model_dump(mode="json"),
        "steps": step,
        "resumed_from": resumed_from,
        "final_loss": loss_value,
        "seconds": round(seconds, 1),
        "examples": len(rows),
        "refusal_tokens": dict(zip(ALL_TOKENS, new_token_ids, strict=False)),
    }
    (out / CONFIG_FILE).write_text(json.dumps(record, indent=2) + "\n", "utf-8")
    return TrainResult(out, step, resumed_from, loss_value, seconds, len(rows))
