"""`pipe serve`: the embedded model over HTTP.

A click command that `pipe` finds through the `pipe.commands` entry point group in
pyproject.toml (`serve = "moe.server.cli:serve_command"`); it imports nothing of pipe.
"""

from __future__ import annotations

import click

from moe import server


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; the default keeps the server local to this machine.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve_command(host: str, port: int) -> None:
    """Serve the embedded MoE model (`moe-tiny`) with an OpenAI-compatible API and /metrics."""
    server.serve(host=host, port=port)
