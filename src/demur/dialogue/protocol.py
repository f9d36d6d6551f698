"""The protocol runner: plays scenarios turn by turn against a model, resumably.

For each scenario the scripted user sends turn after turn; after each model turn the turn judge
decides whether the reply was undesired, and if so the interlocutor's strategy (polite refusal
or explicit rebuttal) is sent before the next scripted turn. Each finished turn is committed to
the store at once; running the same spec again continues after the last finished turn and
reuses every stored completion, so nothing is generated twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from demur.backends.base import Backend, GenerateConfig, Generation, Message
from demur.dialogue.records import DialogueRunRecord, TurnRecord
from demur.dialogue.scenario import Scenario
from demur.dialogue.split import (
    REASONING_INSTRUCTION,
    Split,
    SplitMethod,
    split_reasoning,
)
from demur.dialogue.storage import DialogueStore
from demur.dialogue.strategy import Strategy, feedback
from demur.dialogue.turn_judge import TurnItem, TurnJudge
from demur.run.retry import RetryPolicy, with_retries
from demur.run.runner import demur_version
from demur.run.spec import cache_key
from demur.store.records import Completion
from demur.store.sqlite import Store

DEFAULT_TURNS = 4

_UNASKED_SPLITS = (SplitMethod.FIELD, SplitMethod.TAGS, SplitMethod.UNCLOSED_TAG)
"""Markers trusted when reasoning was not asked for: a separate field and think tags."""

ProgressCallback = Callable[[int, int], None]
"""Called as (finished turns, planned turns) after each turn is stored."""


class DialogueSpec(BaseModel):
    """What a dialogue run plays. Equal specs give equal run ids, so re-running resumes."""

    model_config = ConfigDict(frozen=True)

    model: str = Field(description="BACKEND:NAME of the model under test.")
    strategy: Strategy
    turns: int = Field(default=DEFAULT_TURNS, ge=1, description="Model turns per scenario (cap).")
    scenarios: tuple[str, ...] = Field(description="Scenario ids, in order.")
    scenario_digest: str = Field(description="Hash of the scenarios' content.")
    generate: GenerateConfig = Field(default_factory=GenerateConfig)
    reasoning: bool = Field(default=False, description="Ask for reasoning before the answer.")
    judge: str = Field(description="Turn judge name and version.")
    base_url: str | None = None

    @property
    def run_id(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def scenario_digest(scenarios: Sequence[Scenario]) -> str:
    """A short hash of the scenarios' content: editing a scenario starts a new run."""
    blob = json.dumps([s.model_dump(mode="json") for s in scenarios], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def make_spec(
    model: str,
    strategy: Strategy,
    scenarios: Sequence[Scenario],
    judge: TurnJudge,
    *,
    turns: int = DEFAULT_TURNS,
    generate: GenerateConfig | None = None,
    reasoning: bool = False,
    base_url: str | None = None,
) -> DialogueSpec:
    """The spec for playing `scenarios` with one strategy."""
    return DialogueSpec(
        model=model,
        strategy=strategy,
        turns=turns,
        scenarios=tuple(s.id for s in scenarios),
        scenario_digest=scenario_digest(scenarios),
        generate=generate or GenerateConfig(),
        reasoning=reasoning,
        judge=f"{judge.name}@{judge.version}",
        base_url=base_url,
    )


@dataclass(frozen=True)
class DialogueSummary:
    """What a call to `play` did."""

    run_id: str
    scenarios: int
    planned_turns: int
    generated: int
    cached: int
    resumed: int
    errors: int


def system_message(scenario: Scenario, spec: DialogueSpec) -> str:
    parts = [scenario.system]
    if spec.generate.system_prompt:
        parts.append(spec.generate.system_prompt)
    if spec.reasoning:
        parts.append(REASONING_INSTRUCTION)
    return "\n\n".join(parts)


def user_message(scenario: Scenario, turn: int, previous_feedback: str | None) -> str:
    """The user's message at `turn`: last turn's feedback (if any), then the scripted turn."""
    scripted = scenario.turns[turn]
    return f"{previous_feedback}\n\n{scripted}" if previous_feedback else scripted


def conversation(
    scenario: Scenario, spec: DialogueSpec, done: Sequence[TurnRecord], next_user: str
) -> list[Message]:
    """The messages sent at the next turn: setting, finished turns, the new user message.

    Earlier replies enter the history as their final answers: reasoning is not replayed.
    """
    messages = [Message(role="system", content=system_message(scenario, spec))]
    for record in done:
        messages.append(Message(role="user", content=record.user_text))
        messages.append(Message(role="assistant", content=record.answer))
    messages.append(Message(role="user", content=next_user))
    return messages


def turn_split(completion: Completion, reasoning_asked: bool) -> Split:
    """A turn's reasoning and answer. Unasked, only a reasoning field or think tags count: an
    "Answer:" line in an ordinary reply is part of the reply, not a marker."""
    split = split_reasoning(completion.text, completion.reasoning)
    if not reasoning_asked and split.method not in _UNASKED_SPLITS:
        return Split(None, completion.text.strip(), SplitMethod.MISSING)
    return split


def _completion_config(spec: DialogueSpec) -> GenerateConfig:
    # The system prompt travels inside the messages; keeping it out of the config avoids
    # sending it twice by backends that prepend config.system_prompt.
    return spec.generate.model_copy(update={"system_prompt": None})


async def play(
    spec: DialogueSpec,
    backend: Backend,
    scenarios: Sequence[Scenario],
    store: Store,
    judge: TurnJudge,
    *,
    concurrency: int | None = None,
    retry: RetryPolicy | None = None,
    progress: ProgressCallback | None = None,
) -> DialogueSummary:
    """Play every scenario up to `spec.turns` model turns, continuing what the store holds.

    Scenarios run concurrently (bounded by `concurrency` and the backend's limit); turns within
    a scenario run in order. A turn whose every attempt failed is stored as an errored
    completion and ends that scenario for this call; the next call retries it.
    """
    by_id = {s.id: s for s in scenarios}
    missing = [i for i in spec.scenarios if i not in by_id]
    if missing:
        raise ValueError(f"the spec names scenarios that were not given: {', '.join(missing)}")
    chosen = [by_id[i] for i in spec.scenarios]
    config = _completion_config(spec)
    limit = max(1, min(concurrency or backend.max_concurrency, backend.max_concurrency))
    semaphore = asyncio.Semaphore(limit)
    policy = retry or RetryPolicy()
    planned = sum(min(spec.turns, len(s.turns)) for s in chosen)
    counts = {"finished": 0, "generated": 0, "cached": 0, "resumed": 0, "errors": 0}

    with DialogueStore(store) as dialogues:
        dialogues.save_run(
            DialogueRunRecord(
                run_id=spec.run_id,
                model=spec.model,
                strategy=spec.strategy.value,
                spec_json=spec.model_dump_json(),
                demur_version=demur_version(),
            )
        )

        def tick() -> None:
            counts["finished"] += 1
            if progress is not None:
                progress(counts["finished"], planned)

        async def one(scenario: Scenario) -> None:
            done = dialogues.turns(spec.run_id, scenario.id)
            counts["resumed"] += len(done)
            counts["finished"] += len(done)
            if done and progress is not None:
                progress(counts["finished"], planned)
            for turn in range(len(done), min(spec.turns, len(scenario.turns))):
                previous = done[-1].feedback if done else None
                user = user_message(scenario, turn, previous)
                messages = conversation(scenario, spec, done, user)
                key = cache_key(backend.model_id, config, messages)
                completion = store.completion(key)
                if completion is not None and completion.ok:
                    counts["cached"] += 1
                else:
                    async with semaphore:
                        started = time.perf_counter()
                        outcome = await with_retries(
                            lambda m=messages: backend.generate(m, config),  # type: ignore[misc]
                            policy,
                        )
                        latency = time.perf_counter() - started
                    completion = _completion(
                        key, backend.model_id, scenario, turn, messages, outcome.value
                    )
                    completion = completion.model_copy(
                        update={
                            "latency_s": latency,
                            "attempts": outcome.attempts,
                            "error": outcome.error,
                        }
                    )
                    store.put_completion(completion)
                    if outcome.error is not None:
                        counts["errors"] += 1
                        return
                    counts["generated"] += 1
                split = turn_split(completion, spec.reasoning)
                answer = split.answer
                (verdict,) = await judge.judge_turns(
                    [TurnItem(scenario=scenario, turn=turn, user=user, answer=answer)]
                )
                record = TurnRecord(
                    run_id=spec.run_id,
                    scenario_id=scenario.id,
                    turn=turn,
                    cache_key=key,
                    user_text=user,
                    response=completion.text,
                    reasoning=split.reasoning,
                    answer=answer,
                    undesired=verdict.undesired,
                    judge=verdict.judge,
                    judge_version=verdict.judge_version,
                    reason=verdict.reason,
                    feedback=feedback(spec.strategy, scenario, turn) if verdict.undesired else None,
                )
                dialogues.put_turn(record)
                done.append(record)
                tick()

        tasks = [asyncio.create_task(one(s)) for s in chosen]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
    return DialogueSummary(
        run_id=spec.run_id,
        scenarios=len(chosen),
        planned_turns=planned,
        generated=counts["generated"],
        cached=counts["cached"],
        resumed=counts["resumed"],
        errors=counts["errors"],
    )


def _completion(
    key: str,
    model_id: str,
    scenario: Scenario,
    turn: int,
    messages: list[Message],
    generation: Generation | None,
) -> Completion:
    base = Completion(
        cache_key=key,
        model=model_id,
        prompt_id=f"dialogue:{scenario.id}#{turn}",
        messages=tuple(messages),
    )
    if generation is None:
        return base
    return base.model_copy(
        update={
            "text": generation.text,
            "finish_reason": generation.finish_reason,
            "prompt_tokens": generation.prompt_tokens,
            "completion_tokens": generation.completion_tokens,
            "api_refusal": generation.api_refusal,
            "reasoning": generation.reasoning,
        }
    )
