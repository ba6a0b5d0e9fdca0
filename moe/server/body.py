"""Reading a JSON request body that any client could have sent.

Everything a hostile body can do is answered with a 4xx before pydantic or the tokenizer sees
it: too big (413), too slow (408), not UTF-8, not JSON, NaN/Infinity, integers past Python's
digit limit, nesting past `max_json_depth`, or a string holding a lone UTF-16 surrogate
(`"\\ud800"`: valid JSON, but no UTF-8 text can carry it) (400).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any, AsyncIterator

import numpy as np
from starlette.requests import Request

from moe.server.errors import APIError
from moe.server.limits import ServerLimits

# A JSON string literal (unrolled loop: fast on long strings); its brackets are not nesting.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_OPEN = np.zeros(256, np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


DRAIN_FACTOR = 4
"""A body over the limit is still read (and dropped) up to this many times the limit before
the 413: a client that sends its whole body before reading (most do) then gets the answer
instead of a connection reset."""


async def read_body(request: Request, limit: int, timeout_s: float) -> bytes:
    """The raw body: 413 past `limit` bytes, 408 if it is not all in after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    parts = request.stream().__aiter__()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        await _drain(parts, deadline, DRAIN_FACTOR * limit)
        raise APIError(413, f"request body of {declared} bytes exceeds the limit of {limit} "
                       "bytes", code="request_too_large")
    body = bytearray()
    while (part := await _next(parts, deadline, timeout_s)) is not None:
        body += part
        if len(body) > limit:
            await _drain(parts, deadline, DRAIN_FACTOR * limit - len(body))
            raise APIError(413, f"request body exceeds the limit of {limit} bytes",
                           code="request_too_large")
    return bytes(body)


async def _next(parts: AsyncIterator[bytes], deadline: float, timeout_s: float) -> bytes | None:
    """The next chunk of the body, None at its end; 408 once the deadline has passed."""
    try:
        return await asyncio.wait_for(parts.__anext__(), deadline - time.monotonic())
    except StopAsyncIteration:
        return None
    except asyncio.TimeoutError:
        raise APIError(408, f"the request body did not arrive within {timeout_s:g} s",
                       code="request_timeout") from None


async def _drain(parts: AsyncIterator[bytes], deadline: float, budget: int) -> None:
    """Read and drop up to `budget` more bytes before the deadline (for the 413)."""
    try:
        while budget > 0 and (part := await _next(parts, deadline, 0)) is not None:
            budget -= len(part)
    except APIError:  # too slow to be worth waiting for: the 413 goes out now
        pass


def json_depth(raw: bytes) -> int:
    """Deepest nesting of arrays and objects in `raw` (brackets inside strings not counted)."""
    stripped = _STRING.sub(b'""', raw)
    steps = _OPEN[np.frombuffer(stripped, np.uint8)].astype(np.int32)
    return int(np.cumsum(steps).max(initial=0))


def parse_json(raw: bytes, limits: ServerLimits) -> Any:
    """Decode `raw`, refusing (400) what a JSON object from an OpenAI client never holds."""
    brackets = raw.count(b"[") + raw.count(b"{")
    if brackets > limits.max_json_depth and json_depth(raw) > limits.max_json_depth:
        raise _invalid(f"the JSON is nested more than {limits.max_json_depth} levels deep",
                       "json_too_deep")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid(f"the request body is not valid UTF-8: byte {exc.start} "
                       f"(0x{raw[exc.start]:02x}) starts no character", "invalid_encoding")
    try:
        body = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, int digit limit, NaN
        raise _invalid(f"the request body is not valid JSON: {exc}", "invalid_json") from None
    if _SURROGATE_ESCAPE.search(raw):
        _refuse_surrogates(body)
    return body


async def read_json(request: Request, limits: ServerLimits) -> Any:
    raw = await read_body(request, limits.max_body_bytes, limits.body_timeout_s)
    return parse_json(raw, limits)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _invalid(message: str, code: str) -> APIError:
    return APIError(400, message, code=code)


def _refuse_surrogates(body: Any) -> None:
    """400 naming a field whose key or string holds a lone surrogate (an escaped pair such as
    `"\\ud83d\\ude00"` is one character, which json.loads has already joined)."""
    stack: list[tuple[str, Any]] = [("", body)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            bad = _SURROGATE.search(value)
            if bad:
                raise APIError(
                    400, f"'{path or 'body'}' holds a lone UTF-16 surrogate "
                    f"(\\u{ord(bad.group()):04x}), which is not text; send valid Unicode",
                    param=path or None, code="invalid_unicode")
        elif isinstance(value, dict):
            for key, item in value.items():
                stack.append((f"{path}.{key}" if path else str(key), key))
                stack.append((f"{path}.{key}" if path else str(key), item))
        elif isinstance(value, list):
            stack += [(f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value)]
