from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from demur.backends.base import GenerateConfig, Generation, Message
from demur.backends.mock import MockBackend, MockRule, create
from demur.backends.registry import BackendOptions
from demur.dialogue.metrics import compare_strategies, strategy_metrics
from demur.dialogue.protocol import DialogueSpec, make_spec, play
from demur.dialogue.scenario import Scenario
from demur.dialogue.storage import DialogueStore
from demur.dialogue.strategy import Strategy, feedback
from demur.dialogue.turn_judge import RuleTurnJudge
from demur.run.retry import RetryPolicy
from demur.store.sqlite import Store

SCRIPTS = Path(__file__).resolve().parents[1] / "data" / "dialogue"

FAST = RetryPolicy(max_retries=2, base_delay_s=0.0)


def mock(name: str) -> MockBackend:
    return create(str(SCRIPTS / name), BackendOptions())


def run(
    spec: DialogueSpec,
    backend: MockBackend,
    scenarios: list[Scenario],
    store: Store,
    judge: RuleTurnJudge,
    **kwargs: object,
):  # type: ignore[no-untyped-def]
    return asyncio.run(play(spec, backend, scenarios, store, judge, retry=FAST, **kwargs))  # type: ignore[arg-type]


def test_undesired_continues_after_polite_and_stops_after_rebuttal(
    scenarios: list[Scenario], store: Store, turn_judge: RuleTurnJudge
) -> None:
    backend = mock("yields_to_rebuttal.jsonl")
    turns = {}
    for strategy in (Strategy.POLITE, Strategy.REBUTTAL):
        spec = make_spec("mock:x", strategy, scenarios, turn_judge, turns=4)
        run(spec, backend, scenarios, store, turn_judge)
        with DialogueStore(store) as d:
            turns[strategy] = d.turns(spec.run_id)
    polite = [t.undesired for t in turns[Strategy.POLITE]]
    rebuttal = [t.undesired for t in turns[Strategy.REBUTTAL]]
    assert polite == [True] * 12
    # After a rebuttal the model backs down on the next turn, then the next scripted turn
    # tempts it again: undesired, acceptable, undesired, acceptable.
    assert rebuttal == [True, False, True, False] * 3
    m_polite = strategy_metrics("p", "polite", turns[Strategy.POLITE])
    m_rebuttal = strategy_metrics("r", "rebuttal", turns[Strategy.REBUTTAL])
    assert m_polite.continuation.value == 1.0
    assert m_rebuttal.continuation.value == pytest.approx(1 / 3)
    comparison = compare_strategies(
        "polite", turns[Strategy.POLITE], "rebuttal", turns[Strategy.REBUTTAL]
    )
    assert comparison.difference.value == pytest.approx(1 / 3 - 1)


def test_feedback_goes_before_the_next_scripted_turn_and_history_is_kept(
    scenarios: list[Scenario], store: Store, turn_judge: RuleTurnJudge
) -> None:
    seen: list[list[Message]] = []

    class Recording(MockBackend):
        async def generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
            seen.append(messages)
            return await super().generate(messages, config)

    backend = Recording([MockRule(response="It has a perfect safety record.")], "mock:rec")
    one = scenarios[:1]
    spec = make_spec("mock:rec", Strategy.REBUTTAL, one, turn_judge, turns=2)
    run(spec, backend, one, store, turn_judge)
    second = seen[1]
    assert [m.role for m in second] == ["system", "user", "assistant", "user"]
    assert second[0].content == one[0].system
    expected = feedback(Strategy.REBUTTAL, one[0], 0)
    assert expected is not None and "overheating defect" in expected
    assert second[3].content == f"{expected}\n\n{one[0].turns[1]}"


def test_rerun_generates_nothing_and_strategies_share_the_common_prefix(
    scenarios: list[Scenario], store: Store, turn_judge: RuleTurnJudge
) -> None:
    backend = mock("stubborn.jsonl")
    polite = make_spec("mock:s", Strategy.POLITE, scenarios, turn_judge, turns=3)
    first = run(polite, backend, scenarios, store, turn_judge)
    assert (first.generated, first.resumed) == (9, 0)
    again = run(polite, backend, scenarios, store, turn_judge)
    assert (again.generated, again.cached, again.resumed) == (0, 0, 9)
    rebuttal = make_spec("mock:s", Strategy.REBUTTAL, scenarios, turn_judge, turns=3)
    other = run(rebuttal, backend, scenarios, store, turn_judge)
    # Turn 1 is the same conversation under both strategies: it comes from the cache.
    assert (other.generated, other.cached) == (6, 3)
    assert backend.calls == 15


class Crash(Exception):
    pass


def test_a_crashed_run_resumes_after_the_last_finished_turn(
    scenarios: list[Scenario], tmp_path: Path, turn_judge: RuleTurnJudge
) -> None:
    backend = mock("yields_to_rebuttal.jsonl")
    spec = make_spec("mock:c", Strategy.REBUTTAL, scenarios, turn_judge, turns=4)

    def crash_after_five(done: int, total: int) -> None:
        if done == 5:
            raise Crash

    with Store(tmp_path / "demur.sqlite") as store:
        with pytest.raises(Crash):
            run(
                spec,
                backend,
                scenarios,
                store,
                turn_judge,
                concurrency=1,
                progress=crash_after_five,
            )
        with DialogueStore(store) as d:
            stored = len(d.turns(spec.run_id))
    # Tasks that were already running may finish their turn before the crash stops them.
    assert 5 <= stored < 12
    calls_before = backend.calls
    # A new process: fresh store connection and backend, same command.
    fresh = mock("yields_to_rebuttal.jsonl")
    with Store(tmp_path / "demur.sqlite") as store:
        summary = run(spec, fresh, scenarios, store, turn_judge)
        with DialogueStore(store) as d:
            records = d.turns(spec.run_id)
    assert summary.resumed == stored
    assert summary.generated + summary.cached == 12 - stored
    assert calls_before + fresh.calls == 12
    assert [(r.scenario_id, r.turn) for r in records] == [
        (s.id, t) for s in scenarios for t in range(4)
    ]
    assert [r.undesired for r in records] == [True, False, True, False] * 3


def test_failed_turns_are_errors_that_stop_the_scenario_and_are_retried(
    scenarios: list[Scenario], store: Store, turn_judge: RuleTurnJudge
) -> None:
    broken = MockBackend(
        [MockRule(match="Step 3", error="HTTP 400 bad request"), MockRule(response="Fine.")],
        "mock:same",
    )
    spec = make_spec("mock:same", Strategy.POLITE, scenarios, turn_judge, turns=4)
    first = run(spec, broken, scenarios, store, turn_judge)
    assert (first.generated, first.errors) == (6, 3)
    healed = MockBackend([MockRule(response="Fine.")], "mock:same")
    second = run(spec, healed, scenarios, store, turn_judge)
    assert (second.resumed, second.generated, second.errors) == (6, 6, 0)


def test_retryable_failures_are_retried(
    scenarios: list[Scenario], store: Store, turn_judge: RuleTurnJudge
) -> None:
    flaky = MockBackend([MockRule(response="Fine.", fail_times=2)], "mock:flaky")
    one = scenarios[:1]
    spec = make_spec("mock:flaky", Strategy.POLITE, one, turn_judge, turns=2)
    summary = run(spec, flaky, one, store, turn_judge)
    assert (summary.generated, summary.errors) == (2, 0)
    assert flaky.calls == 4


def test_turns_are_capped_by_the_scenario_and_the_spec(
    scenarios: list[Scenario], store: Store, turn_judge: RuleTurnJudge
) -> None:
    backend = mock("stubborn.jsonl")
    spec = make_spec("mock:s", Strategy.NONE, scenarios, turn_judge, turns=9)
    summary = run(spec, backend, scenarios, store, turn_judge)
    assert summary.planned_turns == 12
    with DialogueStore(store) as d:
        assert all(t.feedback is None for t in d.turns(spec.run_id))


def test_concurrency_across_scenarios_is_bounded(
    scenarios: list[Scenario], store: Store, turn_judge: RuleTurnJudge
) -> None:
    in_flight = 0
    peak = 0

    class Slow(MockBackend):
        async def generate(self, messages: list[Message], config: GenerateConfig) -> Generation:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return await super().generate(messages, config)

    many = [s.model_copy(update={"id": f"{s.id}-{k}"}) for s in scenarios for k in range(3)]
    backend = Slow([MockRule(response="Fine.")], "mock:slow")
    spec = make_spec("mock:slow", Strategy.POLITE, many, turn_judge, turns=2)
    run(spec, backend, many, store, turn_judge, concurrency=4)
    assert peak == 4
