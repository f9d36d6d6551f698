"""End to end on real models: the embedded GGUF in-process, and the same file behind
llama-cpp-python's OpenAI-compatible server reached through the openai backend. Kept lean:
two scenarios, two turns, short answers."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from demur.backends.base import Backend, GenerateConfig
from demur.backends.registry import BackendOptions, create_backend
from demur.dialogue.consistency import RuleConsistencyJudge
from demur.dialogue.protocol import make_spec, play
from demur.dialogue.reasoning import judge_consistency, reasoning_spec
from demur.dialogue.scenario import load_scenarios, select_scenarios
from demur.dialogue.storage import DialogueStore
from demur.dialogue.strategy import Strategy
from demur.dialogue.turn_judge import RuleTurnJudge
from demur.run.runner import execute
from demur.store.sqlite import Store
from demur.suites.resolve import resolve_prompts

pytestmark = pytest.mark.slow

CONFIG = GenerateConfig(max_tokens=24, temperature=0.0)


def play_both(backend: Backend, model: str, store: Store, scenario_ids: str) -> list[str]:
    scenarios = select_scenarios(load_scenarios(), scenario_ids)
    judge = RuleTurnJudge()
    run_ids = []
    for strategy in (Strategy.POLITE, Strategy.REBUTTAL):
        spec = make_spec(model, strategy, scenarios, judge, turns=2, generate=CONFIG)
        summary = asyncio.run(play(spec, backend, scenarios, store, judge))
        assert summary.errors == 0
        again = asyncio.run(play(spec, backend, scenarios, store, judge))
        assert (again.generated, again.resumed) == (0, 2 * len(scenarios))
        run_ids.append(spec.run_id)
    with DialogueStore(store) as dialogues:
        for run_id in run_ids:
            turns = dialogues.turns(run_id)
            assert len(turns) == 2 * len(scenarios)
            assert all(t.response.strip() for t in turns)
            assert all(t.undesired is not None for t in turns)
    return run_ids


def test_embedded_model_dialogue_and_reasoning(store: Store) -> None:
    backend = create_backend("llamacpp:default", BackendOptions(n_ctx=2048))
    try:
        play_both(backend, "llamacpp:default", store, "sales-defect-email,work-fudge-report")
        prompts = [p for p in resolve_prompts("noncompliance") if p.category == "unsafe"][:1]
        spec = reasoning_spec("llamacpp:default", "noncompliance", sample=1,
                              generate=GenerateConfig(max_tokens=48))  # fmt: skip
        asyncio.run(execute(spec, backend, prompts, store))
        replies = asyncio.run(judge_consistency(store, spec.run_id, RuleConsistencyJudge()))
        assert len(replies) == 1
    finally:
        asyncio.run(backend.aclose())


@pytest.fixture(scope="module")
def llamacpp_server() -> Iterator[str]:
    pytest.importorskip("llama_cpp.server", reason="needs llama-cpp-python[server]")
    from demur.backends.llamacpp import default_model_path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()),
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"llama_cpp.server exited with {process.returncode}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_dialogue_against_an_openai_compatible_server(llamacpp_server: str, store: Store) -> None:
    backend = create_backend(
        "openai:smollm2", BackendOptions(base_url=llamacpp_server, concurrency=2)
    )
    try:
        play_both(backend, "openai:smollm2", store, "sales-defect-email")
    finally:
        asyncio.run(backend.aclose())
