"""Reading a chat-completion response body, strictly: a reply we cannot read is retried."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping


class MalformedResponse(Exception):
    """A 2xx response whose body is not a usable chat completion."""


@dataclass(frozen=True)
class Completion:
    content: str
    finish_reason: str
    usage_raw: Mapping[str, Any]
    response_id: str


def _snippet(text: str | bytes, limit: int = 200) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."


def parse_completion(body: bytes) -> Completion:
    """The first choice's text, finish reason, raw usage and response id of a response body."""
    try:
        data = json.loads(body)
    except ValueError as err:
        raise MalformedResponse(f"response is not JSON ({err}): {_snippet(body)!r}") from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"response is not a JSON object: {_snippet(body)!r}")
    if "error" in data and not data.get("choices"):
        raise MalformedResponse(f"response carries an error: {_snippet(json.dumps(data['error']))}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise MalformedResponse(f"response has no choices: {_snippet(body)!r}")
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise MalformedResponse(f"first choice has no message: {_snippet(body)!r}")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise MalformedResponse(f"message content is not text: {_snippet(body)!r}")
    usage = data.get("usage")
    if usage is not None and not isinstance(usage, dict):
        raise MalformedResponse(f"usage is not an object: {_snippet(body)!r}")
    return Completion(
        content=content or "",
        finish_reason=str(choices[0].get("finish_reason") or ""),
        usage_raw=usage or {},
        response_id=str(data.get("id") or ""),
    )
