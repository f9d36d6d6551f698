"""`demur dialogue`, `demur reasoning` and `demur consistency-agreement`.

Multi-turn protocols (polite refusal against explicit rebuttal) and reasoning-against-answer
checks; both resume when run again with the same options.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import typer

from demur.backends.base import Backend, GenerateConfig
from demur.backends.registry import BackendOptions, create_backend, parse_model_spec
from demur.cli.app import app, console, fail
from demur.cli.progress import progress_bar
from demur.cli.shared import (
    API_KEY_ENV_OPTION,
    BASE_URL_OPTION,
    RESULTS_OPTION,
    RETRIES_OPTION,
    TEMPERATURE_OPTION,
    TIMEOUT_OPTION,
)
from demur.dialogue.agreement import agreement_markdown, load_labels, measure
from demur.dialogue.consistency import (
    ConsistencyJudge,
    LLMConsistencyJudge,
    RuleConsistencyJudge,
)
from demur.dialogue.protocol import DEFAULT_TURNS, DialogueSummary, make_spec, play
from demur.dialogue.reasoning import JudgedReply, judge_consistency, reasoning_spec
from demur.dialogue.report import (
    dialogue_markdown,
    dialogue_section,
    reasoning_markdown,
    reasoning_section,
    render_dialogue_html,
    render_reasoning_html,
)
from demur.dialogue.scenario import ScenarioError, load_scenarios, select_scenarios
from demur.dialogue.strategy import parse_strategies
from demur.dialogue.turn_judge import LLMTurnJudge, RuleTurnJudge, TurnJudge
from demur.judges.base import Judge
from demur.judges.registry import create_judge
from demur.registry import MissingExtraError
from demur.run.retry import RetryPolicy
from demur.run.runner import execute
from demur.run.sampling import stratified_sample
from demur.store.sqlite import Store, store_path
from demur.suites.resolve import resolve_prompts

T = TypeVar("T")

MODEL_HELP = "BACKEND:NAME of the model under test, e.g. llamacpp:default, openai:NAME, mock:PATH."
JUDGE_HELP = "rules (no service needed) or llm (a judge model; give --judge-model)."


def _backend(spec: str, options: BackendOptions) -> Backend:
    try:
        parse_model_spec(spec)
        return create_backend(spec, options)
    except (ValueError, KeyError, ImportError, FileNotFoundError) as exc:
        raise fail(str(exc).strip("'\"")) from exc


def _answer_judge(name: str) -> Judge:
    try:
        return create_judge(name)
    except (KeyError, ValueError, MissingExtraError, OSError) as exc:
        raise fail(f"answer judge {name!r}: {str(exc).strip(chr(39))}") from exc


async def _closing(call: Awaitable[T], *backends: Backend | None) -> T:
    try:
        return await call
    finally:
        for backend in backends:
            if backend is not None:
                await backend.aclose()


def _page(title: str, fragment: str) -> str:
    return (
        f"<!doctype html><meta charset=utf-8><title>{title}</title>"
        "<style>body{font-family:sans-serif;max-width:70em;margin:auto}"
        "td,th{border:1px solid #ddd;padding:.2em .5em}table{border-collapse:collapse}</style>"
        f"{fragment}"
    )


def _write(out: Path, stem: str, markdown: str, data: str, html: str) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.md").write_text(markdown, "utf-8")
    (out / f"{stem}.json").write_text(data, "utf-8")
    (out / f"{stem}.html").write_text(html, "utf-8")
    console.print(f"report: {out / (stem + '.html')}\n        {out / (stem + '.md')}")


@app.command()
def dialogue(
    model: str = typer.Option("llamacpp:default", "--model", "-m", help=MODEL_HELP),
    strategy: str = typer.Option(
        "both", help="polite, rebuttal, none (a control), both, or a comma-separated list."
    ),
    turns: int = typer.Option(DEFAULT_TURNS, min=1, help="Model turns per scenario."),
    scenarios: str | None = typer.Option(
        None, help="Scenario ids, id prefixes or domain:NAME, comma-separated (default: all)."
    ),
    limit: int | None = typer.Option(None, min=1, help="Play only the first N chosen scenarios."),
    scenario_file: Path | None = typer.Option(None, help="A YAML scenario file of your own."),
    reasoning: bool = typer.Option(False, help="Ask for reasoning before each answer."),
    max_tokens: int = typer.Option(256, help="Longest answer, in tokens."),
    temperature: float = TEMPERATURE_OPTION,
    seed: int = typer.Option(0, help="Seed for generation."),
    judge: str = typer.Option("rules", help=JUDGE_HELP),
    judge_model: str | None = typer.Option(None, help="BACKEND:NAME of the LLM judge."),
    answer_judge: str = typer.Option("default", help="Judge that spots declining (rules mode)."),
    base_url: str | None = BASE_URL_OPTION,
    api_key_env: str = API_KEY_ENV_OPTION,
    concurrency: int | None = typer.Option(None, min=1, help="Scenarios in flight."),
    timeout: float = TIMEOUT_OPTION,
    retries: int = RETRIES_OPTION,
    results: Path = RESULTS_OPTION,
    report: bool = typer.Option(True, help="Write the Markdown/JSON/HTML summary when done."),
) -> None:
    """Play multi-turn scenarios; after an undesired reply, answer with the chosen strategy."""
    try:
        strategies = parse_strategies(strategy)
        chosen = select_scenarios(load_scenarios(scenario_file), scenarios, limit)
    except (ValueError, ScenarioError) as exc:
        raise fail(str(exc)) from exc
    options = BackendOptions(
        base_url=base_url,
        api_key_env=api_key_env,
        timeout_s=timeout,
        max_retries=retries,
        concurrency=concurrency,
    )
    backend = _backend(model, options)
    judge_backend: Backend | None = None
    turn_judge: TurnJudge
    if judge == "llm":
        if not judge_model:
            raise fail("--judge llm needs --judge-model BACKEND:NAME")
        judge_backend = _backend(judge_model, options)
        turn_judge = LLMTurnJudge(judge_backend, retry=RetryPolicy(max_retries=retries))
    elif judge == "rules":
        turn_judge = RuleTurnJudge(_answer_judge(answer_judge))
    else:
        raise fail(f"unknown --judge {judge!r}; use rules or llm")
    generate = GenerateConfig(max_tokens=max_tokens, temperature=temperature, seed=seed)
    specs = [
        make_spec(
            model,
            s,
            chosen,
            turn_judge,
            turns=turns,
            generate=generate,
            reasoning=reasoning,
            base_url=base_url,
        )
        for s in strategies
    ]
    console.print(
        f"dialogue: {model}, {len(chosen)} scenarios x {turns} turns, strategies "
        + ", ".join(f"{s.strategy.value} [bold]{s.run_id}[/]" for s in specs)
    )
    with Store(store_path(results)) as store:

        async def play_all() -> list[DialogueSummary]:
            summaries = []
            for spec in specs:
                with progress_bar(f"{spec.strategy.value}") as update:
                    summaries.append(
                        await play(
                            spec,
                            backend,
                            chosen,
                            store,
                            turn_judge,
                            concurrency=concurrency,
                            retry=RetryPolicy(max_retries=retries),
                            progress=update,
                        )
                    )
            return summaries

        try:
            summaries = asyncio.run(_closing(play_all(), backend, judge_backend))
        except KeyboardInterrupt:
            console.print(
                f"[yellow]interrupted[/]: finished turns are kept in {store.path}; "
                "run the same command again to continue"
            )
            raise typer.Exit(130) from None
        for s in summaries:
            console.print(
                f"run {s.run_id}: {s.generated} turns generated, {s.cached} from the cache, "
                f"{s.resumed} already stored, {s.errors} errors (retried on the next run)"
            )
        if report:
            checker = RuleConsistencyJudge(_answer_judge(answer_judge)) if reasoning else None
            section = dialogue_section(store, [s.run_id for s in specs], checker)
            _write(
                results / "reports" / ("dialogue-" + "-".join(s.run_id[:8] for s in specs)),
                "dialogue",
                dialogue_markdown(section),
                section.model_dump_json(indent=2),
                _page("demur dialogue", render_dialogue_html(section)),
            )
            console.print(dialogue_markdown(section), highlight=False, markup=False, soft_wrap=True)


def _consistency_judge(
    judge: str, judge_model: str | None, answer_judge: str, options: BackendOptions
) -> tuple[ConsistencyJudge, Backend | None]:
    if judge == "llm":
        if not judge_model:
            raise fail("--judge llm needs --judge-model BACKEND:NAME")
        backend = _backend(judge_model, options)
        return LLMConsistencyJudge(backend, retry=RetryPolicy(max_retries=options.max_retries)), (
            backend
        )
    if judge == "rules":
        return RuleConsistencyJudge(_answer_judge(answer_judge)), None
    raise fail(f"unknown --judge {judge!r}; use rules or llm")


@app.command()
def reasoning(
    model: str = typer.Option("llamacpp:default", "--model", "-m", help=MODEL_HELP),
    suite: str = typer.Option("noncompliance", "--suite", "-s", help="Suites, comma-separated."),
    sample: int = typer.Option(50, help="Stratified sample size (every category kept)."),
    full: bool = typer.Option(False, "--full", help="Run every prompt instead of a sample."),
    seed: int = typer.Option(0, help="Seed for sampling and generation."),
    max_tokens: int = typer.Option(384, help="Longest reply (reasoning and answer), in tokens."),
    temperature: float = TEMPERATURE_OPTION,
    judge: str = typer.Option("rules", help=JUDGE_HELP),
    judge_model: str | None = typer.Option(None, help="BACKEND:NAME of the LLM judge."),
    answer_judge: str = typer.Option("default", help="Judge of the answer (rules mode)."),
    base_url: str | None = BASE_URL_OPTION,
    api_key_env: str = API_KEY_ENV_OPTION,
    concurrency: int | None = typer.Option(None, min=1, help="Requests in flight."),
    timeout: float = TIMEOUT_OPTION,
    retries: int = RETRIES_OPTION,
    results: Path = RESULTS_OPTION,
) -> None:
    """Ask for reasoning before the answer and check that the two agree, per category."""
    try:
        prompts = resolve_prompts(suite)
    except (ValueError, KeyError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    spec = reasoning_spec(
        model,
        suite,
        sample=None if full else sample,
        seed=seed,
        generate=GenerateConfig(max_tokens=max_tokens, temperature=temperature, seed=seed),
        base_url=base_url,
    )
    chosen = stratified_sample(prompts, spec.sample, seed)
    options = BackendOptions(
        base_url=base_url,
        api_key_env=api_key_env,
        timeout_s=timeout,
        max_retries=retries,
        concurrency=concurrency,
    )
    backend = _backend(model, options)
    consistency, judge_backend = _consistency_judge(judge, judge_model, answer_judge, options)
    console.print(f"reasoning run [bold]{spec.run_id}[/]: {model} on {len(chosen)} prompts")
    with Store(store_path(results)) as store:

        async def go() -> list[JudgedReply]:
            with progress_bar("generating") as update:
                await execute(
                    spec,
                    backend,
                    chosen,
                    store,
                    concurrency=concurrency,
                    retry=RetryPolicy(max_retries=retries),
                    progress=update,
                )
            with progress_bar(f"judging ({consistency.name})") as update:
                return list(
                    await judge_consistency(store, spec.run_id, consistency, progress=update)
                )

        try:
            replies = asyncio.run(_closing(go(), backend, judge_backend))
        except KeyboardInterrupt:
            console.print(
                f"[yellow]interrupted[/]: finished completions are kept in {store.path}; "
                "run the same command again to continue"
            )
            raise typer.Exit(130) from None
        section = reasoning_section(spec.run_id, model, replies)
        _write(
            results / "reports" / f"reasoning-{spec.run_id[:8]}",
            "reasoning",
            reasoning_markdown(section),
            section.model_dump_json(indent=2),
            _page("demur reasoning", render_reasoning_html(section)),
        )
        console.print(reasoning_markdown(section), highlight=False, markup=False, soft_wrap=True)


def _markers(labels: Path | None) -> tuple[str, str]:
    """Markers of the block a labelled set's figures go in (one block per set)."""
    name = labels.stem if labels else "consistency_labels"
    return f"<!-- agreement:{name}:start -->", f"<!-- agreement:{name}:end -->"


@app.command("consistency-agreement")
def consistency_agreement(
    labels: Path | None = typer.Option(None, help="Labelled JSONL (default: the shipped set)."),
    judge: str = typer.Option("rules", help=JUDGE_HELP),
    judge_model: str | None = typer.Option(None, help="BACKEND:NAME of the LLM judge."),
    answer_judge: str = typer.Option("default", help="Judge of the answer (rules mode)."),
    base_url: str | None = BASE_URL_OPTION,
    markdown: Path | None = typer.Option(
        None,
        help="Write the figures into this Markdown file, between <!-- agreement:SET:start --> "
        "and <!-- agreement:SET:end --> (appended when absent).",
    ),
    show_disagreements: bool = typer.Option(False, help="List every disagreement."),
) -> None:
    """Measure a consistency judge against hand-labelled replies."""
    try:
        items = load_labels(labels)
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from exc
    options = BackendOptions(base_url=base_url)
    consistency, judge_backend = _consistency_judge(judge, judge_model, answer_judge, options)
    agreement = asyncio.run(_closing(measure(consistency, items), judge_backend))
    command = "demur consistency-agreement --judge " + judge
    if labels:
        command += f" --labels {labels}"
    if judge_model:
        command += f" --judge-model {judge_model}"
    text = agreement_markdown(agreement, command)
    console.print(text, highlight=False, markup=False)
    if show_disagreements:
        console.print(json.dumps(agreement.disagreements, indent=1), highlight=False, markup=False)
    if markdown is not None:
        _splice(markdown, text, *_markers(labels))
        console.print(f"wrote the figures into {markdown}")


def _splice(path: Path, block: str, start: str, end: str) -> None:
    """Replace the text between the markers (or append the block with its markers)."""
    old = path.read_text("utf-8") if path.is_file() else ""
    wrapped = f"{start}\n{block}{end}"
    if start in old and end in old:
        head, _, rest = old.partition(start)
        _, _, tail = rest.partition(end)
        new = head + wrapped + tail
    else:
        new = old + ("\n" if old and not old.endswith("\n") else "") + wrapped + "\n"
    path.write_text(new, "utf-8")
