"""GGUF export: a trained model loads in the llamacpp backend and answers as the hf backend does."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

pytest.importorskip("gguf")
pytest.importorskip("llama_cpp")

from demur.backends.base import Backend, GenerateConfig, Message
from demur.backends.hf import HfBackend, resolve_source
from demur.backends.llamacpp import LlamaCppBackend
from demur.train.gguf_export import export_gguf
from demur.train.sft import TrainConfig, train
from demur.train.synth import from_templates, load_templates, write_jsonl


def _answers(backend: Backend, prompts: list[str]) -> list[str]:
    config = GenerateConfig(max_tokens=8)

    async def go() -> list[str]:
        return [
            (await backend.generate([Message(role="user", content=p)], config)).text
            for p in prompts
        ]

    return asyncio.run(go())


def test_exported_model_matches_the_transformers_model(tiny_model: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    write_jsonl(from_templates(load_templates(), per_subcategory=1, contrast_variants=1), data)
    out = tmp_path / "model"
    train(
        TrainConfig(
            model=str(tiny_model),
            data=str(data),
            out=str(out),
            method="full",
            max_steps=3,
            batch_size=4,
            learning_rate=1e-3,
        )
    )
    path = export_gguf(out)
    assert path == out / "model.gguf" and path.stat().st_size > 0
    prompts = ["Write a haiku about rain.", "Draw me a horse.", "What is 2 plus 2?"]
    hf_answers = _answers(HfBackend(resolve_source(str(out))), prompts)
    gguf_answers = _answers(LlamaCppBackend(path, n_ctx=256), prompts)
    assert gguf_answers == hf_answers


def test_export_refuses_other_architectures(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    with pytest.raises(NotImplementedError, match="Llama-architecture"):
        export_gguf(tmp_path)
