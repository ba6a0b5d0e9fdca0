"""The embedded endpoint: the MoE server's ASGI app, called in-process with no port.

This is the one module of `pipelines` that imports `moe`. It is registered as the
`pipe.endpoints` entry point `embedded` and loaded only when a run uses that endpoint, so runs
against a URL never load the model. Here moe's errors become pipe's: a `MoEInputError` raised
while the app serves a call (a weights directory it cannot load, say) is re-raised as
`InputError` with the same message.
"""

from __future__ import annotations

from typing import Any

import httpx

from moe.checkpoint import DEFAULT_WEIGHTS_DIR, TOKENIZER_FILE, weights_digest
from moe.errors import MoEInputError
from moe.server import create_app
from moe.server.errors import APIError
from moe.server.schemas import ChatCompletionRequest, parse
from moe.tokenizer import Tokenizer
from pipelines.errors import InputError


class EmbeddedTransport(httpx.ASGITransport):
    """`httpx.ASGITransport` that re-raises moe's input errors as pipe's `InputError`."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except MoEInputError as err:
            raise InputError(str(err)) from err


class EmbeddedEndpoint:
    """What the endpoint client needs to talk to the embedded server."""

    base_url = "http://embedded/v1"
    """Base URL the client uses for the in-process app; the host is never resolved."""

    def transport(self) -> httpx.AsyncBaseTransport:
        """An httpx transport that serves requests with a fresh `moe.server.create_app()`."""
        return EmbeddedTransport(app=create_app())

    def weights_digest(self) -> str:
        """Fingerprint of the weights the server answers with (part of its cache scope)."""
        return weights_digest()

    def response_format_problem(self, response_format: Any) -> str | None:
        """What the server would refuse in this `response_format` (a schema keyword it cannot
        enforce, say), so that a recipe fails validation instead of every call; None if held."""
        try:
            parse(ChatCompletionRequest, {"model": "m", "messages": [{"role": "user", "content": ""}],
                                          "response_format": response_format}).sampling(None)
        except APIError as err:
            return err.message
        return None

    def prompt_tokens(self, messages: list[dict[str, str]]) -> int:
        """Exactly the prompt tokens the server will count for these chat messages: its own
        tokenizer and chat template (the tokenizer file alone, the model is not loaded)."""
        turns = [{"role": "system" if m.get("role") == "developer" else m.get("role"),
                  "content": m.get("content")} for m in messages]
        try:
            return len(_tokenizer().apply_chat_template(turns))
        except MoEInputError as err:
            raise InputError(str(err)) from err


_TOKENIZERS: dict[str, Tokenizer] = {}


def _tokenizer() -> Tokenizer:
    """The shipped tokenizer, read once per process."""
    if "shipped" not in _TOKENIZERS:
        _TOKENIZERS["shipped"] = Tokenizer.load(DEFAULT_WEIGHTS_DIR / TOKENIZER_FILE)
    return _TOKENIZERS["shipped"]


embedded_endpoint = EmbeddedEndpoint()
