"""How every `pipe` command reports a deliberate error: on stderr, then exit with its code."""

from __future__ import annotations

import sys

import click

from pipelines import PipeError, RecipeError


def fail(exc: PipeError) -> None:
    """Print an error the way every `pipe` command does, and exit with its code."""
    if isinstance(exc, RecipeError):
        click.echo(f"error: {len(exc.issues)} problem(s) found; nothing was run:", err=True)
        for issue in exc.issues:
            click.echo(f"  {issue}", err=True)
    else:
        click.echo(f"error: {exc}", err=True)
    sys.exit(exc.exit_code)
