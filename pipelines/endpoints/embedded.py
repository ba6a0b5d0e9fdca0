"""The embedded endpoint: the MoE server's ASGI app, called in-process with no port."""

from __future__ import annotations

import httpx

from pipelines.errors import InputError

EMBEDDED_BASE_URL = "http://embedded/v1"
"""Base URL the client uses for the in-process app; the host is never resolved."""


def embedded_transport() -> httpx.AsyncBaseTransport:
    """An httpx transport that serves requests with `moe.server.create_app()`.

    Imported lazily so that runs against a URL never load the model.
    """
    try:
        from moe.server import create_app
    except ImportError as err:
        raise InputError(
            f"the embedded endpoint needs the `moe` package ({err}); "
            "reinstall pipe, or pass --endpoint URL to use a running server"
        ) from err
    return httpx.ASGITransport(app=create_app())


def embedded_weights_digest() -> str:
    """Fingerprint of the weights the embedded server answers with (part of its cache scope)."""
    from moe.model import weights_digest

    return weights_digest()
