"""`pipe serve`: the embedded model over HTTP (registered in pipelines.cli as an extension)."""

from __future__ import annotations

import click


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; the default keeps the server local to this machine.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
def serve_command(host: str, port: int) -> None:
    """Serve the embedded MoE model (`moe-tiny`) with an OpenAI-compatible API and /metrics."""
    from moe.server import serve

    serve(host=host, port=port)
