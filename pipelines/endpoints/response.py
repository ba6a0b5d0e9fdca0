"""Reading a chat-completion response body, strictly: a reply we cannot read is retried."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping


class MalformedResponse(Exception):
    """A 2xx response whose body is not a usable chat completion."""


@dataclass(frozen=True)
class Choice:
    content: str
    finish_reason: str


@dataclass(frozen=True)
class Completion:
    choices: tuple[Choice, ...]
    """Every choice, in `index` order (one unless the request asked for `n`)."""
    usage_raw: Mapping[str, Any]
    """Usage of the whole response: the prompt once, the output of all choices."""
    response_id: str

    @property
    def content(self) -> str:
        return self.choices[0].content

    @property
    def finish_reason(self) -> str:
        return self.choices[0].finish_reason


def _snippet(text: str | bytes, limit: int = 200) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return text if len(text) <= limit else text[:limit] + "..."


def parse_completion(body: bytes) -> Completion:
    """Every choice's text and finish reason, the raw usage and the response id of a body."""
    try:
        data = json.loads(body)
    except ValueError as err:
        raise MalformedResponse(f"response is not JSON ({err}): {_snippet(body)!r}") from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"response is not a JSON object: {_snippet(body)!r}")
    if "error" in data and not data.get("choices"):
        raise MalformedResponse(f"response carries an error: {_snippet(json.dumps(data['error']))}")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or \
            not all(isinstance(c, dict) for c in choices):
        raise MalformedResponse(f"response has no choices: {_snippet(body)!r}")
    usage = data.get("usage")
    if usage is not None and not isinstance(usage, dict):
        raise MalformedResponse(f"usage is not an object: {_snippet(body)!r}")
    ordered = sorted(enumerate(choices), key=lambda p: (_index(p[1]), p[0]))
    return Completion(choices=tuple(_choice(c, body) for _, c in ordered),
                      usage_raw=usage or {}, response_id=str(data.get("id") or ""))


def _index(choice: dict[str, Any]) -> int:
    index = choice.get("index")
    return index if isinstance(index, int) and not isinstance(index, bool) else 0


def _choice(choice: dict[str, Any], body: bytes) -> Choice:
    message = choice.get("message")
    if not isinstance(message, dict):
        raise MalformedResponse(f"a choice has no message: {_snippet(body)!r}")
    content = message.get("content")
    if content is not None and not isinstance(content, str):
        raise MalformedResponse(f"message content is not text: {_snippet(body)!r}")
    return Choice(content=content or "", finish_reason=str(choice.get("finish_reason") or ""))
