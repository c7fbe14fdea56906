"""The typer application every command module attaches to."""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

from ..errors import EXIT_BAD_INPUT, InputError

app = typer.Typer(
    name="gridaudit",
    help=(
        "gridaudit tells a marketing-audit team whom to inspect this month, and why. "
        "Typical month: ingest the exports, train (or reuse the champion), score, hand out the list, "
        "feed the results back."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# soft_wrap: long lines (paths, the mlflow ui command) stay whole when copied, also in files and CI logs
console = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def fail(message: str) -> None:
    """Stop with one clear sentence for the user and the bad-input exit code."""
    console.print(f"[bold red]gridaudit:[/] {message}", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT)


def main() -> None:
    """Entry point: input errors become one sentence and exit code 2; bugs keep their traceback."""
    from . import commands  # noqa: F401  (registers the commands)

    try:
        app()
    except InputError as exc:
        console.print(f"[bold red]gridaudit:[/] {exc}", highlight=False)
        sys.exit(EXIT_BAD_INPUT)


@app.callback()
def _root(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show detailed progress messages."),
) -> None:
    setup_logging(verbose)


@app.command()
def version() -> None:
    """Print the gridaudit version."""
    from .. import __version__

    out.print(__version__)
