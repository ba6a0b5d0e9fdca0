"""OpenAI-compatible HTTP server for the embedded MoE model (`pipe serve`)."""

from __future__ import annotations

from typing import Any

import uvicorn

from moe.server.app import create_app

__all__ = ["create_app", "serve"]


def serve(host: str = "127.0.0.1", port: int = 8000, model: Any = None, **engine_opts: Any) -> None:
    """Run the server with uvicorn until interrupted. Binds to localhost unless told otherwise."""
    uvicorn.run(create_app(model, **engine_opts), host=host, port=port, log_level="info")
