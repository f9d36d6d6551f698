"""Training runs end to end on a tiny model: LoRA and full, refusal tokens, checkpoints, resume."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

pytest.importorskip("peft")

from demur.train.sft import CONFIG_FILE, TrainConfig, train
from demur.train.synth import Example, write_jsonl
from demur.train.tokens import ALL_TOKENS, REFUSAL_TOKENS, RESPOND_TOKEN


def _examples() -> list[Example]:
    rows = [
        ("How do I pick a lock to break into a flat?", "unsafe", "noncomply", "I can't help."),
        ("Draw me a horse.", "unsupported", "noncomply", "I only write text."),
        ("What is the capital of Peru?", "unsafe", "comply", "Lima."),
    ]
    return [
        Example(
            messages=({"role": "user", "content": q}, {"role": "assistant", "content": a}),
            category=cat,
            subcategory="x",
            expected=exp,  # type: ignore[arg-type]
            style="polite",
            source="test",
            request=q,
        )
        for q, cat, exp, a in rows
    ]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "data.jsonl"
    write_jsonl(_examples(), path)
    return path


def test_lora_trains_adapters_only_and_saves_a_loadable_model(
    tiny_model: Path, data: Path, tmp_path: Path
) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out = tmp_path / "lora"
    config = TrainConfig(
        model=str(tiny_model),
        data=str(data),
        out=str(out),
        max_steps=4,
        batch_size=2,
        learning_rate=1e-2,
        checkpoint_every=2,
    )
    seen: list[float] = []
    result = train(config, on_step=lambda info: seen.append(info.loss))
    assert result.steps == 4 and len(seen) == 4
    record = json.loads((out / CONFIG_FILE).read_text())
    assert record["config"]["method"] == "lora"
    assert (out / "adapter").is_dir()
    assert list((out / "checkpoints").glob("step-*"))

    tokenizer = AutoTokenizer.from_pretrained(out)
    ids = tokenizer.convert_tokens_to_ids(list(ALL_TOKENS))
    assert all(i >= 49152 for i in ids), "refusal tokens must be new tokens"
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    tuned = AutoModelForCausalLM.from_pretrained(out)
    # LoRA merged into the projections changes them; the new token rows were trained too.
    assert not torch.equal(
        base.model.layers[0].self_attn.q_proj.weight, tuned.model.layers[0].self_attn.q_proj.weight
    )
    old_rows = base.get_input_embeddings().weight
    new_rows = tuned.get_input_embeddings().weight
    assert new_rows.shape[0] == len(tokenizer)
    # Rows of the old vocabulary stay frozen.
    assert torch.equal(old_rows, new_rows[: old_rows.shape[0]])


def test_lora_freezes_base_weights_during_training(
    tiny_model: Path, data: Path, tmp_path: Path
) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out = tmp_path / "lora"
    train(
        TrainConfig(
            model=str(tiny_model),
            data=str(data),
            out=str(out),
            max_steps=3,
            batch_size=2,
            learning_rate=1e-2,
        )
    )
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    base.resize_token_embeddings(base.get_input_embeddings().weight.shape[0] + len(ALL_TOKENS))
    adapted = PeftModel.from_pretrained(base, out / "adapter")
    lora_b = [p for n, p in adapted.named_parameters() if "lora_B" in n]
    assert lora_b and any(bool(p.abs().sum() > 0) for p in lora_b), "adapters did not move"
    fresh = AutoModelForCausalLM.from_pretrained(tiny_model)
    inner = adapted.get_base_model().model.layers[0].self_attn.q_proj.base_layer.weight
    assert torch.equal(inner, fresh.model.layers[0].self_attn.q_proj.weight)


def test_full_fine_tuning_changes_every_layer(tiny_model: Path, data: Path, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    out = tmp_path / "full"
    train(
        TrainConfig(
            model=str(tiny_model),
            data=str(data),
            out=str(out),
            method="full",
            max_steps=2,
            batch_size=3,
            learning_rate=1e-3,
        )
    )
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    tuned = AutoModelForCausalLM.from_pretrained(out)
    assert not (out / "adapter").exists()
    assert not torch.equal(base.model.norm.weight, tuned.model.norm.weight)


def test_resume_continues_from_the_last_checkpoint(
    tiny_model: Path, data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "resumed"
    common = dict(
        model=str(tiny_model),
        data=str(data),
        out=str(out),
        batch_size=2,
        learning_rate=1e-2,
        checkpoint_every=2,
    )
    train(TrainConfig(**common, max_steps=4))  # leaves a checkpoint at step 2
    again = train(TrainConfig(**common, max_steps=4), resume=True)
    assert again.resumed_from == 2 and again.steps == 4
    # The run length may change on resume; nothing else may.
    shorter = train(TrainConfig(**common, max_steps=3), resume=True)
    assert shorter.resumed_from == 2 and shorter.steps == 3
    with pytest.raises(ValueError, match=r"different config \(seed\)"):
        train(TrainConfig(**common, max_steps=4, seed=1), resume=True)


def test_overfit_model_emits_the_refusal_token_first(
    tiny_model: Path, data: Path, tmp_path: Path
) -> None:
    from demur.backends.base import GenerateConfig, Message
    from demur.backends.hf import HfBackend, resolve_source
    from demur.train.tokens import first_token

    out = tmp_path / "overfit"
    train(
        TrainConfig(
            model=str(tiny_model),
            data=str(data),
            out=str(out),
            method="full",
            max_steps=80,
            batch_size=3,
            learning_rate=1e-2,
            warmup_steps=0,
        )
    )
    shown = HfBackend(resolve_source(str(out)), show_refusal_tokens=True)
    hidden = HfBackend(resolve_source(str(out)))
    config = GenerateConfig(max_tokens=6)

    async def ask(backend: HfBackend, text: str) -> str:
        return (await backend.generate([Message(role="user", content=text)], config)).text

    unsafe = asyncio.run(ask(shown, "How do I pick a lock to break into a flat?"))
    assert first_token(unsafe).category == "unsafe", unsafe
    assert unsafe.startswith(REFUSAL_TOKENS["unsafe"])
    helpful = asyncio.run(ask(shown, "What is the capital of Peru?"))
    assert first_token(helpful).token == RESPOND_TOKEN, helpful
    plain = asyncio.run(ask(hidden, "How do I pick a lock to break into a flat?"))
    assert not any(token in plain for token in ALL_TOKENS)
    assert shown.model_id != hidden.model_id


@pytest.mark.slow
def test_one_step_on_the_embedded_smollm2_gguf_saves_a_model(data: Path, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM

    out = tmp_path / "smol"
    config = TrainConfig(model="default", data=str(data), out=str(out), max_steps=1, batch_size=1)
    train(config, resume=False)
    tuned = AutoModelForCausalLM.from_pretrained(out)
    assert tuned.get_input_embeddings().weight.shape[0] == 49152 + len(ALL_TOKENS)
