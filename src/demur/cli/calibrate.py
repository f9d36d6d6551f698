"""`demur calibrate` and `demur sweep`: per-category refusal rates set at inference."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from demur.backends.base import Backend, GenerateConfig
from demur.backends.registry import create_backend
from demur.calibrate.fit import ScoredPrompt, fit, sweep
from demur.calibrate.probe import ProbeUnsupportedError
from demur.calibrate.profile import CalibrationProfile, Mode
from demur.calibrate.session import (
    KeyKind,
    Keys,
    ScoreFile,
    check,
    in_calibration_split,
    parse_targets,
    resolve_keys,
    score_prompts,
)
from demur.cli.app import app, console, fail
from demur.cli.progress import progress_bar
from demur.report.sweeps import (
    SweepCounts,
    results_sweep_path,
    save_sweep,
    sweep_file,
    sweep_page,
)
from demur.suites.model import Prompt
from demur.suites.resolve import resolve_prompts

SUITE = "noncompliance,contrast"


def _score(
    model: str, suite: str, keys_kind: KeyKind, system_prompt: str | None, cache: Path | None
) -> tuple[Keys, list[Prompt], list[ScoredPrompt]]:
    try:
        prompts = resolve_prompts(suite)
    except (ValueError, KeyError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    if cache is not None and cache.is_file():
        kept = ScoreFile.model_validate_json(cache.read_text("utf-8"))
        if kept.matches(model, suite, system_prompt) and kept.prompt_ids == [
            f"{p.suite}/{p.id}" for p in prompts
        ]:
            console.print(f"scores of {len(prompts)} prompts read from {cache}")
            return kept.keys(), prompts, kept.scored()
        console.print(f"[yellow]{cache} holds scores of other settings: scoring again[/]")
    try:
        backend: Backend = create_backend(model)
    except (ValueError, KeyError, FileNotFoundError, ImportError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    config = GenerateConfig(system_prompt=system_prompt)
    try:
        keys = resolve_keys(backend, keys_kind)
        with progress_bar("scoring first tokens") as update:
            scored = asyncio.run(score_prompts(backend, prompts, keys, config, update))
    except (ProbeUnsupportedError, ValueError) as exc:
        raise fail(str(exc)) from exc
    finally:
        asyncio.run(backend.aclose())
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        record = ScoreFile.build(model, suite, system_prompt, keys, prompts, scored)
        cache.write_text(record.model_dump_json(), "utf-8")
    return keys, prompts, scored


SCORES_OPTION = typer.Option(
    None, "--scores", help="Keep first-token scores in this JSON file and reuse them next time."
)


@app.command()
def calibrate(
    model: str = typer.Option(
        ..., "--model", "-m", help="BACKEND:NAME of an llamacpp or hf model."
    ),
    targets: str = typer.Option(..., help="Target refusal rates, e.g. unsafe=0.95,incomplete=0.6."),
    out: Path = typer.Option(Path("calibration.yaml"), "--out", "-o", help="Profile to write."),
    suite: str = typer.Option(SUITE, help="Prompts to fit on (a share is held out)."),
    mode: Mode = typer.Option(
        Mode.THRESHOLD, help="threshold (llamacpp, hf) or bias (any backend)."
    ),
    keys: KeyKind = typer.Option(KeyKind.AUTO, help="tokens: refusal tokens; openings: any model."),
    held_out: float = typer.Option(0.5, min=0.1, max=0.9, help="Share of prompts held out."),
    seed: int = typer.Option(0, help="Seed of the split."),
    system_prompt: str | None = typer.Option(None, help="System message used when generating."),
    scores: Path | None = SCORES_OPTION,
) -> None:
    """Fit a per-category profile to target refusal rates and check it on held-out prompts."""
    try:
        wanted = parse_targets(targets)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    resolved, prompts, scored = _score(model, suite, keys, system_prompt, scores)
    split = [in_calibration_split(p, 1 - held_out, seed) for p in prompts]
    fit_items = [s for s, keep in zip(scored, split, strict=True) if keep]
    test_items = [s for s, keep in zip(scored, split, strict=True) if not keep]
    try:
        values = fit(fit_items, wanted, mode)
    except ValueError as exc:
        raise fail(str(exc)) from exc
    fitted = {c.key: c.rate for c in check(fit_items, values, wanted, mode)}
    profile = CalibrationProfile(
        mode=mode,
        token_ids=resolved.token_ids,
        tokens=resolved.tokens,
        values=values,
        model=model,
        targets=wanted,
        fitted={k: v for k, v in fitted.items() if k in wanted},
        calibration_prompts=len(fit_items),
    )
    profile.save(out)
    table = Table(
        "key",
        "target",
        "value",
        "held-out refusal",
        "95% interval",
        "n",
        "contrast refusal",
        "in interval",
    )
    for c in check(test_items, values, wanted, mode):
        contrast = f"{c.contrast_refused}/{c.contrast_total}" if c.contrast_total else "-"
        table.add_row(
            c.key, "-" if c.target is None else f"{c.target:.2f}",
            f"{values[c.key]:.4g}" if c.key in values else "model's own",
            f"{c.rate:.3f}", f"[{c.low:.3f}, {c.high:.3f}]", str(c.total), contrast,
            "-" if c.target is None else ("yes" if c.hit else "NO"),
        )  # fmt: skip
    console.print(table)
    console.print(f"profile ({resolved.kind.value} keys, {mode.value}): {out}")


@app.command("sweep")
def sweep_command(
    model: str = typer.Option(
        ..., "--model", "-m", help="BACKEND:NAME of an llamacpp or hf model."
    ),
    out: Path = typer.Option(Path("sweep.json"), "--out", "-o", help="Curves as JSON."),
    suite: str = typer.Option(SUITE, help="Prompts to sweep over."),
    mode: Mode = typer.Option(Mode.THRESHOLD, help="Sweep thresholds or biases."),
    keys: KeyKind = typer.Option(KeyKind.AUTO, help="tokens: refusal tokens; openings: any model."),
    points: int = typer.Option(21, min=3, help="Values per curve."),
    system_prompt: str | None = typer.Option(None, help="System message used when generating."),
    scores: Path | None = SCORES_OPTION,
    results: Path | None = typer.Option(
        None,
        "--results",
        "-r",
        help="Also keep the curves in RESULTS/sweeps/, where reports of this model's runs in "
        "RESULTS show them.",
    ),
    html: Path | None = typer.Option(None, help="Also write a standalone page with the plots."),
) -> None:
    """Refusal rate against threshold per category, on should-not-comply and contrast prompts."""
    resolved, _, scored = _score(model, suite, keys, system_prompt, scores)
    curve = sweep(scored, mode, points)
    tally = Counter((s.key, s.should_refuse) for s in scored)
    counts = {
        key: SweepCounts(should_refuse=tally[(key, True)], contrast=tally[(key, False)])
        for key in sorted({s.key for s in scored})
    }
    data = sweep_file(
        curve,
        model=model,
        suite=suite,
        mode=mode.value,
        keys=resolved.kind.value,
        counts=counts,
        system_prompt=system_prompt,
    )
    written = [save_sweep(data, out)]
    if results is not None:
        written.append(save_sweep(data, results_sweep_path(results, data)))
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(sweep_page(data), "utf-8")
        written.append(html)
    console.print(
        f"{len(curve)} points over {len(counts)} keys: " + ", ".join(str(p) for p in written)
    )
