"""Our retry policy: which failures are worth another attempt, and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Mapping

import httpx
import openai

from pipelines.endpoints.response import MalformedResponse

RETRIED_STATUSES = frozenset({408, 409, 429})

_HINTS = {
    401: "check the API key in ${env}",
    403: "check that the key in ${env} may use this model",
    404: "check the model name, and that the URL is the API's base URL (usually ending in /v1)",
}


@dataclass(frozen=True)
class Failure:
    """One failed attempt, as the retry loop sees it."""

    cause: str
    retryable: bool
    status: int | None = None
    retry_after_s: float | None = None
    """What the server asked us to wait, when it said so."""


def is_retryable_status(status: int) -> bool:
    """408/409/429 and 5xx are worth retrying; every other 4xx will fail the same way again."""
    return status in RETRIED_STATUSES or status >= 500


def parse_retry_after(headers: Mapping[str, str], now: datetime | None = None) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


def _server_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict) and body.get("message"):
        message = str(body["message"])
    elif isinstance(body, str) and body.strip():
        message = body.strip()
    else:
        message = err.message
    return message if len(message) <= 500 else message[:500] + "..."


def classify(err: BaseException, *, api_key_env: str = "OPENAI_API_KEY") -> Failure:
    """Describe a failed attempt; raises `err` again if it is not a call failure at all."""
    if isinstance(err, openai.APIStatusError):
        status = err.status_code
        cause = f"HTTP {status}: {_server_message(err)}"
        if err.request_id:
            cause += f" [server request id {err.request_id}]"
        hint = _HINTS.get(status)
        if hint:
            cause += f"; {hint.replace('${env}', '$' + api_key_env)}"
        return Failure(
            cause=cause,
            retryable=is_retryable_status(status),
            status=status,
            retry_after_s=parse_retry_after(err.response.headers),
        )
    if isinstance(err, (openai.APITimeoutError, TimeoutError, httpx.TimeoutException)):
        return Failure(cause="timed out", retryable=True)
    if isinstance(err, openai.APIConnectionError):
        detail = f" ({type(err.__cause__).__name__}: {err.__cause__})" if err.__cause__ else ""
        return Failure(cause=f"connection failed{detail}", retryable=True)
    if isinstance(err, httpx.TransportError):  # raised while reading a body, outside the SDK
        return Failure(cause=f"connection failed ({type(err).__name__}: {err})", retryable=True)
    if isinstance(err, MalformedResponse):
        return Failure(cause=f"malformed response: {err}", retryable=True)
    raise err


def backoff_delay(
    retry: int,
    *,
    base_s: float,
    max_s: float,
    retry_after_s: float | None,
    retry_after_max_s: float,
    rng: random.Random,
) -> float:
    """Wait before retry number `retry` (1-based): the server's Retry-After (capped) when it
    gave one, else full jitter, uniform in [0, min(max_s, base_s * 2**(retry-1))]."""
    if retry_after_s is not None:
        return min(retry_after_s, retry_after_max_s)
    return rng.uniform(0.0, min(max_s, base_s * 2 ** (retry - 1)))
