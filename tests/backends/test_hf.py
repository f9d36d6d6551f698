"""The hf backend on a tiny random Llama (fast) and on the embedded SmolLM2 GGUF (slow)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from demur.backends.base import BackendError, GenerateConfig, Message
from demur.backends.hf import HfBackend, create, fingerprint, resolve_source
from demur.backends.registry import BackendOptions, create_backend


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    import transformers

    from demur.backends.llamacpp import default_model_path

    gguf = default_model_path()
    tokenizer = transformers.AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    torch.manual_seed(0)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=256,
        eos_token_id=tokenizer.eos_token_id,
    )
    out = tmp_path_factory.mktemp("tiny-hf")
    transformers.LlamaForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _ask(backend: HfBackend, prompts: list[str], config: GenerateConfig) -> list[str]:
    async def go() -> list[str]:
        answers = await asyncio.gather(
            *(backend.generate([Message(role="user", content=p)], config) for p in prompts)
        )
        return [a.text for a in answers]

    return asyncio.run(go())


def test_spec_resolution_and_errors(tiny: Path, tmp_path: Path) -> None:
    assert resolve_source(str(tiny)).gguf_file is None
    assert resolve_source("default").gguf_file == "SmolLM2-135M-Instruct.Q4_1.gguf"
    with pytest.raises(FileNotFoundError, match="neither a transformers model directory"):
        resolve_source(str(tmp_path))
    with pytest.raises(ValueError, match="unknown option"):
        create(f"{tiny}?colour=red", BackendOptions())
    with pytest.raises(ValueError, match="show or hide"):
        create(f"{tiny}?refusal_tokens=maybe", BackendOptions())


def test_model_id_follows_the_weights(tiny: Path, tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(tiny, copy)
    assert fingerprint(resolve_source(str(copy))) == fingerprint(resolve_source(str(tiny)))
    weights = next(copy.glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one changed byte in the last weights
    weights.write_bytes(bytes(data))
    assert fingerprint(resolve_source(str(copy))) != fingerprint(resolve_source(str(tiny)))


def test_batched_answers_equal_single_answers(tiny: Path) -> None:
    backend = create_backend(f"hf:{tiny}?batch=4")
    assert isinstance(backend, HfBackend) and backend.max_concurrency == 4
    prompts = ["Hello there", "What is two plus two, in words please?", "Hi", "Name a colour"]
    config = GenerateConfig(max_tokens=5)
    together = _ask(backend, prompts, config)
    alone = [_ask(backend, [p], config)[0] for p in prompts]
    assert together == alone
    assert all(isinstance(t, str) for t in together)


def test_logprobs_and_logit_bias(tiny: Path) -> None:
    backend = HfBackend(resolve_source(str(tiny)))
    config = GenerateConfig(max_tokens=3, logprobs=True, top_logprobs=2)

    async def one(cfg: GenerateConfig):  # type: ignore[no-untyped-def]
        return await backend.generate([Message(role="user", content="Hello")], cfg)

    plain = asyncio.run(one(config))
    assert plain.logprobs is not None and len(plain.logprobs) == plain.completion_tokens
    first = plain.logprobs[0]
    assert first.logprob <= 0 and len(first.top) == 2
    assert max(first.top.values()) == pytest.approx(first.logprob)  # greedy picks the top token
    # A strong bias on one token makes greedy decoding choose it at every step.
    token_id = backend.tokenizer.convert_tokens_to_ids("Paris")
    forced = asyncio.run(one(GenerateConfig(max_tokens=3, logit_bias={str(token_id): 100.0})))
    assert forced.text.startswith("Paris")
    with pytest.raises(BackendError, match="outside the vocabulary"):
        asyncio.run(one(GenerateConfig(max_tokens=2, logit_bias={"99999999": 1.0})))


def test_stop_strings_cut_the_text(tiny: Path) -> None:
    backend = HfBackend(resolve_source(str(tiny)))
    token_id = backend.tokenizer.convert_tokens_to_ids("Paris")
    config = GenerateConfig(max_tokens=4, logit_bias={str(token_id): 100.0}, stop=("ris",))
    text = _ask(backend, ["Hello"], config)[0]
    assert text == "Pa"


@pytest.mark.slow
def test_embedded_smollm2_answers_a_question() -> None:
    backend = create_backend("hf:default")
    text = _ask(backend, ["What is the capital of France?"], GenerateConfig(max_tokens=12))[0]  # type: ignore[arg-type]
    assert "Paris" in text
