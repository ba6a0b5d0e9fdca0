"""OpenAI-shaped error responses: {"error": {"message", "type", "param", "code"}}."""

from __future__ import annotations

from starlette.responses import JSONResponse

_TYPES = {
    400: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    408: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    500: "server_error",
    503: "server_error",
}
CLOSES = (408, 413)
"""Statuses answered before the body was read to its end: the connection cannot be reused."""


def _text(value: str | None) -> str | None:
    """`value` as UTF-8-safe text: a lone surrogate from the request is shown escaped."""
    return None if value is None else value.encode("utf-8", "backslashreplace").decode("utf-8")


class APIError(Exception):
    """An error answered to the client; raised anywhere in a route, rendered by the app."""

    def __init__(
        self, status: int, message: str, *, param: str | None = None, code: str | None = None
    ):
        super().__init__(message)
        self.status = status
        self.message: str = _text(message) or ""
        self.param = _text(param)
        self.code = code

    def body(self) -> dict:
        kind = _TYPES.get(self.status, "invalid_request_error")
        return {"error": {"message": self.message, "type": kind, "param": self.param,
                          "code": self.code}}

    def response(self) -> JSONResponse:
        headers = {"connection": "close"} if self.status in CLOSES else None
        return JSONResponse(self.body(), status_code=self.status, headers=headers)
