"""The openai backend against a real scripted server process on loopback, through the runner."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from backend_servers import StartFake, free_port

from demur.backends.base import BackendError, GenerateConfig, Message
from demur.backends.openai import OpenAIBackend
from demur.backends.registry import BackendOptions, create_backend
from demur.run.retry import RetryPolicy
from demur.run.runner import execute
from demur.run.spec import RunSpec
from demur.store.sqlite import Store
from demur.suites.model import Expected, Prompt

pytestmark = pytest.mark.timeout(120)


def ask(backend: OpenAIBackend, text: str, config: GenerateConfig | None = None):  # type: ignore[no-untyped-def]
    async def once():  # type: ignore[no-untyped-def]
        try:
            return await backend.generate(
                [Message(role="user", content=text)], config or GenerateConfig()
            )
        finally:
            await backend.aclose()

    return asyncio.run(once())


def arrivals(base_url: str) -> dict[str, list[float]]:
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/stats", timeout=5) as response:
        data: dict[str, list[float]] = json.load(response)["arrivals"]
        return data


def prompt(index: int, text: str) -> Prompt:
    return Prompt(
        id=f"p{index}",
        text=text,
        category="unsafe",
        subcategory="privacy",
        expected=Expected.NONCOMPLY,
    )


def test_answers_with_usage_logprobs_and_reasoning(fake_server: StartFake) -> None:
    url = fake_server()
    backend = create_backend("openai:fake", BackendOptions(base_url=url))
    assert isinstance(backend, OpenAIBackend)
    generation = ask(backend, "hello [reasoning]", GenerateConfig(logprobs=True, top_logprobs=2))
    assert generation.text == "echo: hello [reasoning]"
    assert generation.reasoning == "thinking it over"
    assert generation.prompt_tokens == 2 and generation.completion_tokens == 2
    assert generation.logprobs is not None and generation.logprobs[0].top == {"echo": -0.1}


def test_api_refusals_are_answers_not_errors(fake_server: StartFake) -> None:
    url = fake_server()
    refused = ask(OpenAIBackend("fake", url), "do it [refusal]")
    assert refused.api_refusal == "I won't do that." and refused.text == ""
    filtered = ask(OpenAIBackend("fake", url), "do it [filter]")
    assert filtered.api_refusal == "the prompt was filtered"
    assert filtered.finish_reason == "content_filter"


def test_key_is_sent_from_the_env_and_redacted_from_errors(
    fake_server: StartFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = fake_server("--require-key", "sk-test-123")
    monkeypatch.setenv("DEMUR_TEST_KEY", "sk-test-123")
    good = OpenAIBackend("fake", url, api_key_env="DEMUR_TEST_KEY")
    assert ask(good, "hi").text == "echo: hi"
    monkeypatch.setenv("DEMUR_TEST_KEY", "sk-test-WRONG")
    with pytest.raises(BackendError) as caught:
        ask(OpenAIBackend("fake", url, api_key_env="DEMUR_TEST_KEY"), "hi")
    assert not caught.value.retryable
    assert "HTTP 401" in str(caught.value) and "API key" in str(caught.value)
    assert "sk-test-WRONG" not in str(caught.value) and "***" in str(caught.value)
    monkeypatch.delenv("DEMUR_TEST_KEY")
    with pytest.raises(BackendError, match="HTTP 401"):
        ask(OpenAIBackend("fake", url, api_key_env="DEMUR_TEST_KEY"), "hi")


def test_connection_refused_is_retryable() -> None:
    backend = OpenAIBackend("fake", f"http://127.0.0.1:{free_port()}/v1")
    with pytest.raises(BackendError, match=r"127\.0\.0\.1") as caught:
        ask(backend, "hi")
    assert caught.value.retryable


@pytest.mark.slow
def test_runner_retries_with_backoff_and_records_exhausted_failures(
    fake_server: StartFake, store: Store
) -> None:
    url = fake_server()
    backend = create_backend("openai:fake", BackendOptions(base_url=url, timeout_s=1.0))
    texts = [
        "plain answer",
        "flaky [500x2]",
        "rate limited [429x1 ra=0.4]",
        "always broken [500]",
        "hangs [hang]",
        "bad request [400]",
        "filtered [filter]",
        "slow but fine [delay=0.2]",
    ]
    spec = RunSpec(model="openai:fake", suite="x", sample=None, base_url=url)
    policy = RetryPolicy(max_retries=2, base_delay_s=0.1, max_delay_s=2.0)
    prompts = [prompt(i, t) for i, t in enumerate(texts)]
    summary = asyncio.run(execute(spec, backend, prompts, store, retry=policy))
    assert (summary.generated, summary.errors) == (8, 3)

    rows = {r.prompt.text: r.completion for r in store.results(spec.run_id)}
    assert all(c is not None for c in rows.values())
    ok = {t: c for t, c in rows.items() if c is not None and c.error is None}
    assert set(ok) == {texts[0], texts[1], texts[2], texts[6], texts[7]}
    assert ok["flaky [500x2]"].text == "echo: flaky [500x2]"
    assert ok["flaky [500x2]"].attempts == 3
    assert ok["rate limited [429x1 ra=0.4]"].attempts == 2
    assert ok["filtered [filter]"].api_refusal == "the prompt was filtered"
    assert ok["slow but fine [delay=0.2]"].latency_s is not None
    assert ok["slow but fine [delay=0.2]"].latency_s >= 0.2

    broken, hung, bad = rows[texts[3]], rows[texts[4]], rows[texts[5]]
    assert broken is not None and hung is not None and bad is not None
    assert broken.attempts == 3 and "HTTP 500" in (broken.error or "") and broken.text == ""
    assert hung.attempts == 3 and "within 1.0 s" in (hung.error or "")
    assert bad.attempts == 1 and "HTTP 400" in (bad.error or "")

    seen = arrivals(url)
    assert len(seen["always broken [500]"]) == 3
    assert len(seen["bad request [400]"]) == 1
    limited = seen["rate limited [429x1 ra=0.4]"]
    assert limited[1] - limited[0] >= 0.38  # Retry-After was honoured, not the 0.1 s backoff
    broken_gaps = [
        b - a
        for a, b in zip(seen["always broken [500]"], seen["always broken [500]"][1:], strict=False)
    ]
    # Backoff with jitter: retry n waits between half and all of 0.1 * 2**(n-1) seconds.
    # (upper bounds are loose: a loaded machine stalls, but never waits the 2 s maximum delay).
    assert 0.05 <= broken_gaps[0] < 1.5
    assert 0.1 <= broken_gaps[1] < 1.5

    # A second run regenerates only the failures, which fail again and are recorded again.
    again = asyncio.run(execute(spec, backend, prompts, store, retry=policy))
    asyncio.run(backend.aclose())
    assert (again.generated, again.cached, again.errors) == (3, 5, 3)
    assert len(arrivals(url)["plain answer"]) == 1
    assert store.completion_count() == 8


def test_requests_in_flight_reach_the_concurrency(fake_server: StartFake, store: Store) -> None:
    url = fake_server("--delay", "0.5")
    backend = create_backend("openai:fake", BackendOptions(base_url=url, concurrency=8))
    prompts = [prompt(i, f"question {i}") for i in range(16)]
    spec = RunSpec(model="openai:fake", suite="x", sample=None, base_url=url)
    asyncio.run(execute(spec, backend, prompts, store))
    starts = sorted(times[0] for times in arrivals(url).values())
    # 8 at once, then the next 8 once the first ones answer 0.5 s later.
    assert starts[7] - starts[0] < 0.4
    assert starts[8] - starts[0] >= 0.45
