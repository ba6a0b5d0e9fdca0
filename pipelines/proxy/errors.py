"""Errors the proxy answers, in OpenAI's shape: {"error": {"message", "type", "param", "code"}}.

(The embedded server has its own in `moe.server.errors`; `pipelines` may not import `moe`.)
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

_TYPES = {402: "insufficient_quota", 404: "invalid_request_error", 500: "server_error",
          502: "server_error"}


class ProxyError(Exception):
    """An error answered to the client; raised anywhere in a route, rendered by the app."""

    def __init__(self, status: int, message: str, *, param: str | None = None,
                 code: str | None = None, pipe: dict[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.param = param
        self.code = code
        self.pipe = pipe
        """The run's `pipe` object (run id, dollars, calls) when a run was started."""

    def body(self) -> dict[str, Any]:
        error = {"message": self.message, "type": _TYPES.get(self.status, "invalid_request_error"),
                 "param": self.param, "code": self.code}
        return {"error": error, **({"pipe": self.pipe} if self.pipe else {})}

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status)
