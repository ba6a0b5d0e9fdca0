"""uvicorn for `pipe serve`, with the timeouts a public socket needs.

uvicorn closes idle keep-alive connections (`timeout_keep_alive`) but waits for request
headers forever: a client that opens a connection and sends half a request line holds it
open indefinitely. `GuardedH11Protocol` gives each request `header_timeout_s` from its first
byte (or from the connection, for the first request) to finish its headers, and answers
HTTP-level errors in the OpenAI shape instead of uvicorn's plain text. Slow bodies are the
app's business (`moe.server.body.read_body`: 408 after `body_timeout_s`).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from moe.server.limits import ServerLimits

_REASONS = {400: b"Bad Request", 408: b"Request Timeout"}


def _error_bytes(message: str, code: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "invalid_request_error",
                                 "param": None, "code": code}}).encode()


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for each request's headers."""

    header_timeout_s = ServerLimits().header_timeout_s
    """Set per server by `uvicorn_config` (a subclass carries it)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE:  # the first bytes of a new request
            self._arm_header_timer()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # its headers are in
            self._disarm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_late)

    def _disarm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_late(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.conn.our_state is h11.IDLE:  # no response under way: say why we hang up
            self._send_error(408, f"the request headers did not arrive within "
                             f"{self.header_timeout_s:g} s", "request_timeout")
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request h11 cannot parse, as an OpenAI-shaped error."""
        self._send_error(400, f"{msg} (malformed HTTP)", "invalid_http")
        self.transport.close()

    def _send_error(self, status: int, message: str, code: str) -> None:
        body = _error_bytes(message, code)
        try:
            for event in (
                h11.Response(status_code=status, reason=_REASONS[status], headers=[
                    (b"content-type", b"application/json"), (b"connection", b"close"),
                    (b"content-length", str(len(body)).encode())]),
                h11.Data(data=body), h11.EndOfMessage(),
            ):
                self.transport.write(self.conn.send(event))
        except h11.LocalProtocolError:  # a response was already started: just close
            pass


def uvicorn_config(app: Any, host: str = "127.0.0.1", port: int = 8000,
                   limits: ServerLimits | None = None, **kwargs: Any) -> uvicorn.Config:
    """The uvicorn settings of `pipe serve` for `app`: the guarded protocol and keep-alive."""
    limits = limits or ServerLimits()
    protocol = type("Guarded", (GuardedH11Protocol,), {"header_timeout_s": limits.header_timeout_s})
    return uvicorn.Config(app, host=host, port=port, http=protocol,
                          timeout_keep_alive=limits.keep_alive_s, **kwargs)
