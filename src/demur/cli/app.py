"""The Typer application every command module registers on."""

from __future__ import annotations

import logging

import typer
from rich.console import Console

app = typer.Typer(
    name="demur",
    help="Measure, explain and tune when chat language models say no.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
console = Console(stderr=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error the way every command does, and give the exit to raise."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    return typer.Exit(code)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug details.")) -> None:
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
