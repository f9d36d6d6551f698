"""`demur synth` and `demur train`: make noncompliance training data, then fine-tune on it."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import typer

from demur.cli.app import app, console, fail
from demur.cli.progress import progress_bar
from demur.registry import MissingExtraError


@app.command()
def synth(
    out: Path = typer.Option(Path("demur-results/train/synth.jsonl"), help="Output JSONL file."),
    style: str = typer.Option(
        "polite", help="Refusal style: polite, or rebuttal (names what is wrong with the request)."
    ),
    per_subcategory: int = typer.Option(
        60, min=1, help="Most noncompliance examples per subcategory."
    ),
    contrast_variants: int = typer.Option(
        4, min=1, help="Wrappings of each contrast request (answered helpfully)."
    ),
    teacher: str | None = typer.Option(
        None, help="BACKEND:NAME of a model whose judged answers replace the template answers."
    ),
    templates: Path | None = typer.Option(None, help="A template file instead of the built-in."),
    seed: int = typer.Option(0, help="Seed for sampling and composition."),
) -> None:
    """Write chat-format training data of good noncompliant and helpful responses."""
    from demur.train.synth import synthesise, write_jsonl

    if style not in ("polite", "rebuttal"):
        raise fail(f"--style must be polite or rebuttal, not {style!r}")
    try:
        with progress_bar("teacher answers") if teacher else nullcontext(None) as update:
            examples, report = synthesise(
                style=style,  # type: ignore[arg-type]
                per_subcategory=per_subcategory,
                contrast_variants=contrast_variants,
                seed=seed,
                teacher=teacher,
                templates_path=templates,
                progress=update,
            )
    except (ValueError, KeyError, FileNotFoundError, MissingExtraError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    count = write_jsonl(examples, out)
    noncomply = sum(e.expected == "noncomply" for e in examples)
    console.print(
        f"wrote {count} examples to {out} ({noncomply} noncompliance, {count - noncomply} "
        f"contrast); dropped {report.exact_overlaps} exact and {report.near_overlaps} "
        f"near-duplicate overlaps with the evaluation suites"
        + (f", {report.teacher_rejected} teacher answers the judge rejected" if teacher else "")
    )


@app.command()
def train(
    data: Path = typer.Argument(..., help="Chat JSONL from `demur synth`."),
    out: Path = typer.Option(..., "--out", "-o", help="Directory for the trained model."),
    model: str = typer.Option(
        "default", help="A transformers model directory, a .gguf file, or 'default' (SmolLM2)."
    ),
    method: str = typer.Option("lora", help="lora or full."),
    refusal_tokens: bool = typer.Option(
        True, help="Add one token per noncompliance category and a respond token."
    ),
    epochs: float = typer.Option(2.0, help="Passes over the data."),
    max_steps: int | None = typer.Option(None, min=1, help="Stop after this many steps."),
    batch_size: int = typer.Option(8, min=1),
    learning_rate: float | None = typer.Option(None, help="Default: 3e-4 for LoRA, 3e-5 for full."),
    warmup_steps: int = typer.Option(10, min=0, help="Steps of linear learning-rate warm-up."),
    lora_r: int = typer.Option(16, min=1, help="LoRA rank."),
    max_length: int = typer.Option(384, min=16, help="Longest example, in tokens."),
    checkpoint_every: int = typer.Option(50, min=1, help="Steps between checkpoints."),
    seed: int = typer.Option(0),
    threads: int | None = typer.Option(None, min=1, help="CPU threads for torch."),
    resume: bool = typer.Option(False, "--resume", help="Continue from the newest checkpoint."),
    gguf: bool = typer.Option(False, "--gguf", help="Also export OUT/model.gguf for llamacpp."),
) -> None:
    """Fine-tune a causal LM (LoRA or full) and save a merged model usable as hf:OUT."""
    from pydantic import ValidationError

    from demur.train.sft import StepInfo, TrainConfig
    from demur.train.sft import train as run_training

    try:
        config = TrainConfig(
            model=model,
            data=str(data),
            out=str(out),
            method=method,  # type: ignore[arg-type]
            refusal_tokens=refusal_tokens,
            epochs=epochs,
            max_steps=max_steps,
            batch_size=batch_size,
            learning_rate=learning_rate,
            warmup_steps=warmup_steps,
            lora_r=lora_r,
            max_length=max_length,
            checkpoint_every=checkpoint_every,
            seed=seed,
            threads=threads,
        )
    except ValidationError as exc:
        raise fail(f"invalid training options: {exc}") from exc
    if not data.is_file():
        raise fail(f"no training data at {data}: write it with `demur synth --out {data}`")
    losses: list[float] = []
    try:
        with progress_bar(f"training ({method})") as update:

            def on_step(info: StepInfo) -> None:
                losses.append(info.loss)
                update(info.step, info.total)

            result = run_training(config, resume=resume, on_step=on_step)
    except (ValueError, KeyError, FileNotFoundError, MissingExtraError) as exc:
        raise fail(str(exc).strip("'\"")) from exc
    except KeyboardInterrupt:
        console.print(
            f"[yellow]interrupted[/]: checkpoints are in {out}/checkpoints; "
            "run the same command with --resume to continue"
        )
        raise typer.Exit(130) from None
    tail = losses[-10:]
    console.print(
        f"trained {result.steps} steps on {result.examples} examples in {result.seconds:.0f} s "
        f"(resumed from step {result.resumed_from}); mean loss of the last steps "
        f"{sum(tail) / max(1, len(tail)):.3f}\nmodel: {result.out}  (use --model hf:{result.out})"
    )
    if gguf:
        from demur.train.gguf_export import export_gguf

        try:
            path = export_gguf(result.out)
        except (ValueError, NotImplementedError) as exc:
            raise fail(f"GGUF export failed: {exc}") from exc
        console.print(f"gguf:  {path}  (use --model llamacpp:{path})")
