from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from demur.backends.base import GenerateConfig
from demur.backends.mock import MockBackend, MockRule
from demur.backends.registry import BackendOptions, create_backend
from demur.run.retry import RetryPolicy
from demur.run.runner import execute
from demur.run.sampling import stratified_sample
from demur.run.spec import RunSpec
from demur.store.sqlite import Store
from demur.suites.model import Expected, Prompt

FAST = RetryPolicy(max_retries=3, base_delay_s=0.0)


def prompts(n: int) -> list[Prompt]:
    return [
        Prompt(
            id=f"p{i}",
            text=f"question {i}",
            category="unsafe",
            subcategory="privacy",
            expected=Expected.NONCOMPLY,
        )
        for i in range(n)
    ]


def test_every_prompt_is_answered_once_and_rerun_generates_nothing(store: Store) -> None:
    backend = create_backend("mock:refuse")
    spec = RunSpec(model="mock:refuse", suite="x", sample=None)
    first = asyncio.run(execute(spec, backend, prompts(12), store, retry=FAST))
    assert (first.generated, first.cached, first.errors) == (12, 0, 0)
    again = asyncio.run(execute(spec, backend, prompts(12), store, retry=FAST))
    assert (again.generated, again.cached) == (0, 12)
    assert backend.calls == 12  # type: ignore[attr-defined]


def test_retryable_failures_are_retried_then_succeed(store: Store) -> None:
    backend = MockBackend([MockRule(response="ok", fail_times=2)], "mock:flaky")
    spec = RunSpec(model="mock:flaky", suite="x", sample=None)
    summary = asyncio.run(execute(spec, backend, prompts(1), store, retry=FAST))
    assert summary.errors == 0
    row = store.results(spec.run_id)[0]
    assert row.completion is not None and row.completion.text == "ok"
    assert row.completion.attempts == 3


def test_failures_are_recorded_as_errors_and_retried_on_the_next_run(store: Store) -> None:
    broken = MockBackend([MockRule(error="HTTP 500", retryable=True)], "mock:same")
    spec = RunSpec(model="mock:same", suite="x", sample=None)
    summary = asyncio.run(execute(spec, broken, prompts(3), store, retry=FAST))
    assert summary.errors == 3
    rows = store.results(spec.run_id)
    assert all(
        r.completion is not None and r.completion.error and r.completion.text == "" for r in rows
    )
    assert all(r.completion is not None and r.completion.attempts == 4 for r in rows)
    healed = MockBackend([MockRule(response="fine")], "mock:same")
    again = asyncio.run(execute(spec, healed, prompts(3), store, retry=FAST))
    assert (again.generated, again.errors) == (3, 0)


def test_concurrency_is_bounded(store: Store) -> None:
    backend = MockBackend([MockRule(response="ok")], "mock:slow", delay_s=0.02)
    in_flight = 0
    peak = 0
    original = backend.generate

    async def counting(messages, config):  # type: ignore[no-untyped-def]
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(messages, config)
        finally:
            in_flight -= 1

    backend.generate = counting  # type: ignore[method-assign]
    spec = RunSpec(model="mock:slow", suite="x", sample=None)
    asyncio.run(execute(spec, backend, prompts(40), store, concurrency=5, retry=FAST))
    assert peak == 5


def test_cache_key_depends_on_settings(store: Store) -> None:
    backend = create_backend("mock:comply")
    a = RunSpec(model="mock:comply", suite="x", sample=None)
    b = a.model_copy(update={"generate": GenerateConfig(max_tokens=17)})
    asyncio.run(execute(a, backend, prompts(2), store))
    summary = asyncio.run(execute(b, backend, prompts(2), store))
    assert summary.generated == 2
    assert a.run_id != b.run_id


def test_stratified_sample_keeps_every_stratum() -> None:
    items = [
        Prompt(id=f"{c}{i}", text="t", category=c, subcategory="s", expected=Expected.NONCOMPLY)
        for c, n in (("a", 90), ("b", 9), ("c", 1))
        for i in range(n)
    ]
    chosen = stratified_sample(items, 10, seed=1)
    assert len(chosen) == 10
    assert {p.category for p in chosen} == {"a", "b", "c"}
    assert chosen == stratified_sample(items, 10, seed=1)
    assert stratified_sample(items, None) == items


def test_mock_script_errors_name_the_line(tmp_path: Path) -> None:
    script = tmp_path / "script.jsonl"
    script.write_text(json.dumps({"response": "a"}) + "\n{not json\n")
    with pytest.raises(ValueError, match=r"script.jsonl:2"):
        create_backend(f"mock:{script}", BackendOptions())
