"""The llamacpp backend on the real embedded model (SmolLM2-135M-Instruct), and the openai backend
against llama-cpp-python's own OpenAI-compatible server running that same model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from demur.backends.base import Backend, BackendError, GenerateConfig, Generation, Message
from demur.backends.llamacpp import LlamaCppBackend, chat_kwargs
from demur.backends.registry import BackendOptions, create_backend

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

QUESTIONS = [
    "What is the capital of France?",
    "Name three colours of the rainbow.",
    "How do I boil an egg?",
]
SHORT = GenerateConfig(max_tokens=12)


@pytest.fixture(scope="module")
def llama() -> Iterator[LlamaCppBackend]:
    backend = create_backend("llamacpp:default", BackendOptions(n_ctx=512))
    assert isinstance(backend, LlamaCppBackend)
    yield backend
    asyncio.run(backend.aclose())


def generate(backend: Backend, text: str, config: GenerateConfig = SHORT) -> Generation:
    return asyncio.run(backend.generate([Message(role="user", content=text)], config))


def test_model_id_names_the_file_and_its_size(llama: LlamaCppBackend) -> None:
    assert llama.model_id.startswith("llamacpp:SmolLM2-135M-Instruct.Q4_1.gguf:")
    assert llama.max_concurrency == 1


def test_answers_a_handful_of_prompts(llama: LlamaCppBackend) -> None:
    for question in QUESTIONS:
        generation = generate(llama, question)
        assert generation.text.strip()
        assert generation.finish_reason in ("stop", "length")
        assert generation.prompt_tokens is not None and generation.prompt_tokens > 5
        assert generation.completion_tokens is not None
        assert 0 < generation.completion_tokens <= SHORT.max_tokens
        assert generation.api_refusal is None and generation.logprobs is None


def test_system_prompt_reaches_the_chat_template(llama: LlamaCppBackend) -> None:
    # SmolLM2's template puts in a short default system message when none is given, so a long
    # one of our own must make the prompt longer.
    system = "You are a careful assistant. " * 10
    plain = asyncio.run(llama.generate([Message(role="user", content=QUESTIONS[0])], SHORT))
    with_system = asyncio.run(
        llama.generate(
            [
                Message(role="system", content=system),
                Message(role="user", content=QUESTIONS[0]),
            ],
            SHORT,
        )
    )
    assert with_system.prompt_tokens is not None and plain.prompt_tokens is not None
    assert with_system.prompt_tokens > plain.prompt_tokens + 30


def test_greedy_output_is_deterministic(llama: LlamaCppBackend) -> None:
    first = generate(llama, QUESTIONS[1])
    generate(llama, QUESTIONS[2])  # something else in between must not leak into the next answer
    second = generate(llama, QUESTIONS[1])
    assert first.text == second.text
    assert first.completion_tokens == second.completion_tokens


def test_logprobs_are_returned_when_asked(llama: LlamaCppBackend) -> None:
    config = GenerateConfig(max_tokens=6, logprobs=True, top_logprobs=3)
    generation = generate(llama, QUESTIONS[0], config)
    assert generation.logprobs is not None
    assert len(generation.logprobs) == generation.completion_tokens
    assert "".join(t.token for t in generation.logprobs) == generation.text
    for entry in generation.logprobs:
        assert entry.logprob <= 0
        assert 1 <= len(entry.top) <= 3
        # Greedy decoding picks the most likely token, so it leads its own alternatives.
        assert entry.logprob == pytest.approx(max(entry.top.values()), abs=1e-4)
    assert generate(llama, QUESTIONS[0], GenerateConfig(max_tokens=6)).logprobs is None


def test_logit_bias_is_honoured(llama: LlamaCppBackend) -> None:
    base = GenerateConfig(max_tokens=4, logprobs=True, top_logprobs=2)
    greedy = generate(llama, QUESTIONS[0], base)
    assert greedy.logprobs is not None
    first = greedy.logprobs[0].token
    ids = llama.llm.tokenize(first.encode(), add_bos=False, special=True)
    assert len(ids) == 1, f"{first!r} is not one token: {ids}"
    banned = generate(
        llama, QUESTIONS[0], base.model_copy(update={"logit_bias": {str(ids[0]): -100.0}})
    )
    assert banned.logprobs is not None and banned.logprobs[0].token != first
    # A large positive bias forces a token the model would not choose.
    forced_id = llama.llm.tokenize(b" banana", add_bos=False)[0]
    forced = generate(
        llama, QUESTIONS[0], base.model_copy(update={"logit_bias": {str(forced_id): 100.0}})
    )
    assert forced.logprobs is not None
    assert forced.logprobs[0].token == llama.llm.detokenize([forced_id]).decode()


def test_bad_inputs_become_non_retryable_errors(llama: LlamaCppBackend) -> None:
    with pytest.raises(BackendError, match="not a token id") as caught:
        generate(llama, "hi", GenerateConfig(max_tokens=2, logit_bias={"hello": 1.0}))
    assert not caught.value.retryable
    too_long = "word " * 800  # more tokens than the 512-token context
    with pytest.raises(BackendError, match="SmolLM2") as caught:
        generate(llama, too_long, GenerateConfig(max_tokens=2))
    assert not caught.value.retryable


def test_chat_kwargs_map_every_setting() -> None:
    config = GenerateConfig(
        max_tokens=9,
        temperature=0.5,
        top_p=0.8,
        seed=3,
        stop=("END",),
        logprobs=True,
        top_logprobs=2,
        logit_bias={"17": -5},
    )
    kwargs = chat_kwargs([Message(role="user", content="x")], config)
    assert kwargs == {
        "messages": [{"role": "user", "content": "x"}],
        "max_tokens": 9,
        "temperature": 0.5,
        "top_p": 0.8,
        "seed": 3,
        "stop": ["END"],
        "logprobs": True,
        "top_logprobs": 2,
        "logit_bias": {17: -5.0},
    }
    assert chat_kwargs([], GenerateConfig())["stop"] is None


def test_openai_backend_against_llama_cpp_server(llamacpp_server: str) -> None:
    backend = create_backend("openai:smollm2", BackendOptions(base_url=llamacpp_server))
    config = GenerateConfig(max_tokens=8, logprobs=True, top_logprobs=2)

    async def both() -> list[Generation]:
        try:
            return [
                await backend.generate([Message(role="user", content=q)], config)
                for q in (QUESTIONS[0], QUESTIONS[1], QUESTIONS[0])
            ]
        finally:
            await backend.aclose()

    first, other, again = asyncio.run(both())
    for generation in (first, other):
        assert generation.text.strip()
        assert generation.finish_reason in ("stop", "length")
        assert generation.completion_tokens is not None and 0 < generation.completion_tokens <= 8
        assert generation.logprobs is not None and len(generation.logprobs) > 0
    assert first.text != other.text
    assert again.text == first.text
