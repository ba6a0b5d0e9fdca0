"""`pipe serve`: the embedded model over HTTP.

A click command that `pipe` finds through the `pipe.commands` entry point group in
pyproject.toml (`serve = "moe.server.cli:serve_command"`); it imports nothing of pipe.
"""

from __future__ import annotations

import click

from moe import server
from moe.server.limits import ServerLimits

_DEFAULTS = ServerLimits()


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to bind; the default keeps the server local to this machine.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--max-prompts", default=_DEFAULTS.max_prompts, show_default=True,
              type=click.IntRange(1), help="Most prompts in one /v1/completions call.")
@click.option("--max-choices", default=_DEFAULTS.max_choices, show_default=True,
              type=click.IntRange(1), help="Most completions (n x prompts) in one call.")
@click.option("--max-body-bytes", default=_DEFAULTS.max_body_bytes, show_default=True,
              type=click.IntRange(1), help="Largest JSON request body.")
@click.option("--header-timeout", default=_DEFAULTS.header_timeout_s, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Seconds a request has to send its headers.")
@click.option("--body-timeout", default=_DEFAULTS.body_timeout_s, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Seconds a request has to send its body.")
@click.option("--keep-alive", default=_DEFAULTS.keep_alive_s, show_default=True,
              type=click.FloatRange(min=0, min_open=True),
              help="Seconds an idle connection stays open.")
def serve_command(host: str, port: int, max_prompts: int, max_choices: int,
                  max_body_bytes: int, header_timeout: float, body_timeout: float,
                  keep_alive: float) -> None:
    """Serve the embedded MoE model (`moe-tiny`) with an OpenAI-compatible API and /metrics."""
    limits = ServerLimits(max_prompts=max_prompts, max_choices=max_choices,
                          max_body_bytes=max_body_bytes, header_timeout_s=header_timeout,
                          body_timeout_s=body_timeout, keep_alive_s=keep_alive)
    server.serve(host=host, port=port, limits=limits)
