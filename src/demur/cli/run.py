"""`demur run`: generate, judge and report in one go; re-running resumes."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import typer

from demur.backends.base import Backend, GenerateConfig
from demur.backends.registry import BackendOptions, create_backend, parse_model_spec
from demur.calibrate.profile import CalibrationProfile, Mode
from demur.cli.app import app, console, fail
from demur.cli.progress import progress_bar
from demur.cli.shared import (
    API_KEY_ENV_OPTION,
    BASE_URL_OPTION,
    RESULTS_OPTION,
    RETRIES_OPTION,
    TEMPERATURE_OPTION,
    TIMEOUT_OPTION,
    judge_and_report,
)
from demur.run.retry import RetryPolicy
from demur.run.runner import RunSummary, execute
from demur.run.sampling import stratified_sample
from demur.run.spec import DEFAULT_MODEL, DEFAULT_SAMPLE, DEFAULT_SUITE, RunSpec
from demur.store.sqlite import Store, store_path
from demur.suites.model import Prompt
from demur.suites.resolve import resolve_prompts


@app.command()
def run(
    model: str = typer.Option(
        DEFAULT_MODEL,
        "--model",
        "-m",
        help="BACKEND:NAME, e.g. llamacpp:default, openai:gpt-4o-mini, hf:./dir, mock:refuse.",
    ),
    suite: str = typer.Option(
        DEFAULT_SUITE,
        "--suite",
        "-s",
        help="Suites, comma-separated: built-in names or LOADER:PATH (coconot:, xstest:, ...).",
    ),
    sample: int = typer.Option(
        DEFAULT_SAMPLE, help="Stratified sample size (every category kept)."
    ),
    full: bool = typer.Option(False, "--full", help="Run every prompt instead of a sample."),
    seed: int = typer.Option(0, help="Seed for sampling and generation."),
    max_tokens: int = typer.Option(256, help="Longest answer, in tokens."),
    temperature: float = TEMPERATURE_OPTION,
    system_prompt: str | None = typer.Option(
        None, help="A system message sent before each prompt."
    ),
    base_url: str | None = BASE_URL_OPTION,
    api_key_env: str = API_KEY_ENV_OPTION,
    concurrency: int | None = typer.Option(
        None, min=1, help="Requests in flight (default: what the backend allows)."
    ),
    timeout: float = TIMEOUT_OPTION,
    retries: int = RETRIES_OPTION,
    results: Path = RESULTS_OPTION,
    judge: str = typer.Option("default", help="Judge that labels the answers."),
    report: bool = typer.Option(True, help="Write the report when done."),
    calibration: Path | None = typer.Option(
        None, help="A profile from `demur calibrate`, applied while generating."
    ),
) -> None:
    """Evaluate a model on a suite; run the same command again to resume an interrupted run."""
    try:
        parse_model_spec(model)
        prompts = resolve_prompts(suite)
        profile = CalibrationProfile.load(calibration) if calibration else None
    except (ValueError, KeyError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    spec = RunSpec(
        model=model,
        suite=suite,
        sample=None if full else sample,
        seed=seed,
        generate=GenerateConfig(
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
            system_prompt=system_prompt,
            logit_bias=profile.logit_bias() if profile and profile.mode is Mode.BIAS else None,
            calibration=profile if profile and profile.mode is Mode.THRESHOLD else None,
        ),
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
    console.print(
        f"run [bold]{spec.run_id}[/]: {model} on {len(chosen)} of {len(prompts)} prompts ({suite})"
    )
    with Store(store_path(results)) as store:
        try:
            backend = create_backend(model, options)
        except (ValueError, ImportError, FileNotFoundError) as exc:
            raise fail(str(exc)) from exc
        if spec.generate.calibration and not getattr(backend, "supports_calibration", False):
            raise fail(
                f"{model} cannot apply a threshold profile (it needs the model's logits): "
                "use an llamacpp or hf model, or fit a bias-mode profile (--mode bias)"
            )
        try:
            with progress_bar("generating") as update:
                summary = asyncio.run(
                    _execute_and_close(
                        spec,
                        backend,
                        chosen,
                        store,
                        concurrency,
                        RetryPolicy(max_retries=retries),
                        update,
                    )
                )
        except KeyboardInterrupt:
            kept = len(store.finished_keys(i.cache_key for i in store.run_items(spec.run_id)))
            console.print(
                f"[yellow]interrupted[/]: {kept} finished completions are kept in {store.path}; "
                "run the same command again to finish the rest"
            )
            raise typer.Exit(130) from None
        console.print(
            f"generated {summary.generated}, reused {summary.cached} from the cache, "
            f"{summary.errors} errors (recorded as errors, retried on the next run)"
        )
        judge_and_report(store, [spec.run_id], results, judge, report)


async def _execute_and_close(
    spec: RunSpec,
    backend: Backend,
    prompts: list[Prompt],
    store: Store,
    concurrency: int | None,
    retry: RetryPolicy,
    update: Callable[[int, int], None],
) -> RunSummary:
    try:
        return await execute(
            spec, backend, prompts, store, concurrency=concurrency, retry=retry, progress=update
        )
    finally:
        await backend.aclose()
