"""`EndpointClient`: one chat call in, one `ChatResult` out, with our own retries and limits."""

from __future__ import annotations

import asyncio
import os
import random
import time
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

import httpx
import openai

from pipelines.endpoints.config import EndpointConfig, load_embedded
from pipelines.endpoints.limiter import AdaptiveLimiter
from pipelines.endpoints.response import Completion, MalformedResponse, parse_completion
from pipelines.endpoints.retry import Failure, backoff_delay, classify
from pipelines.endpoints.routing import pick_replica, route_key
from pipelines.errors import FatalCallError, RetriesExhausted
from pipelines.endpoints.usage import normalize_usage, split_usage
from pipelines.types import ChatRequest, ChatResult, Usage

EventCallback = Callable[[str, dict[str, Any]], None]
"""`on_event(kind, info)`; kind "retry" has info {status, attempt, delay, cause, request_id}."""

_ATTEMPT_ERRORS = (
    openai.APIStatusError,
    openai.APIConnectionError,
    httpx.TransportError,
    TimeoutError,
    MalformedResponse,
)
_POST_OPTIONS: dict[str, Any] = {"security": {"bearer_auth": True}}
"""Request options of `post`: the API key goes in the Authorization header, as `create` does."""
_KEY_MISSING = "unset"
"""Sent when the key variable is unset: local servers need none, hosted ones answer 401."""


class EndpointClient:
    """Sends `ChatRequest`s to one endpoint (one or more replicas, or the embedded server).

    Each replica gets its own `openai.AsyncOpenAI` with the SDK's retries off; this class
    retries instead (backoff with full jitter, Retry-After honoured), holds an adaptive
    in-flight limit shared by all replicas, and routes by `route_key` so prefix caches hit.
    """

    def __init__(
        self,
        config: EndpointConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        on_event: EventCallback | None = None,
        rng: random.Random | None = None,
    ):
        self.config = config
        self.identity: str = config.identity
        """Names the endpoint in reports and price lookups; holds no secret."""
        embedded = load_embedded() if config.is_embedded else None
        self.cache_scope: str = (f"{config.identity}@{embedded.weights_digest()}" if embedded
                                 else config.identity)
        """Names the endpoint in cache keys: the embedded one with its weights' fingerprint, so
        that new shipped weights never answer from responses cached before them."""
        self.pool_limits = httpx.Limits(
            max_connections=config.concurrency, max_keepalive_connections=config.concurrency
        )
        self._sleep = sleep
        self._on_event = on_event
        self._rng = rng or random.Random()
        self._limiter = AdaptiveLimiter(config.concurrency)
        if transport is None and embedded:
            transport = embedded.transport()
        self._replicas = config.replicas
        base_urls = (embedded.base_url,) if embedded else self._replicas
        api_key = "embedded" if config.is_embedded else os.environ.get(config.api_key_env) or _KEY_MISSING
        self._clients = [self._openai_client(url, api_key, transport) for url in base_urls]

    def _openai_client(
        self, base_url: str, api_key: str, transport: httpx.AsyncBaseTransport | None
    ) -> openai.AsyncOpenAI:
        # Without a transport, httpx builds a pooled one from `limits`; a custom transport
        # (ASGI app, test double) brings its own.
        http_client = httpx.AsyncClient(
            transport=transport, limits=self.pool_limits, timeout=self.config.timeout_s
        )
        return openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key,
            max_retries=0,
            timeout=self.config.timeout_s,
            http_client=http_client,
        )

    @property
    def in_flight(self) -> int:
        """Calls being sent or awaited right now (backoff waits excluded)."""
        return self._limiter.in_flight

    @property
    def limit(self) -> int:
        """Current in-flight limit; below `config.concurrency` for a while after 429s."""
        return self._limiter.limit

    @property
    def waiting(self) -> int:
        """Calls queued for a slot."""
        return self._limiter.waiting

    def replica_for(self, req: ChatRequest) -> str:
        """The replica (base URL, or "embedded") that `req` is sent to."""
        return self._replicas[self._replica_index(req)]

    def _replica_index(self, req: ChatRequest) -> int:
        return 0 if len(self._replicas) == 1 else pick_replica(self._replicas, route_key(req))

    async def chat(self, req: ChatRequest) -> ChatResult:
        """One completion for `req`: its first choice, with the usage of the whole response.
        Raises FatalCallError or RetriesExhausted."""
        completion, started_at, latency, attempts = await self._complete(req)
        return _result(completion.content, completion.finish_reason,
                       normalize_usage(completion.usage_raw), completion, started_at, latency,
                       attempts)

    async def chat_n(self, req: ChatRequest) -> list[ChatResult]:
        """Every choice of one request (`n` in `req.params` asks for several; an endpoint that
        ignores it answers with fewer), each with its share of the usage: the prompt on the
        first only, the output split by text length (`split_usage`). Raises FatalCallError or
        RetriesExhausted."""
        completion, started_at, latency, attempts = await self._complete(req)
        usage = normalize_usage(completion.usage_raw)
        shares = split_usage(usage, [len(c.content) for c in completion.choices])
        return [_result(c.content, c.finish_reason, share, completion, started_at, latency,
                        attempts) for c, share in zip(completion.choices, shares)]

    async def _complete(self, req: ChatRequest) -> tuple[Completion, datetime, float, int]:
        """The response to `req` with its start time, latency and attempts, retried as
        configured."""
        client = self._clients[self._replica_index(req)]
        started_at: datetime | None = None
        for attempt in range(1, self.config.max_retries + 2):
            async with self._limiter.slot() as generation:
                started_at = started_at or datetime.now(timezone.utc)
                attempt_start = time.perf_counter()
                try:
                    completion = await self._attempt(client, req)
                except _ATTEMPT_ERRORS as err:
                    failure = classify(err, api_key_env=self.config.api_key_env)
                    if failure.status == 429:
                        self._limiter.on_throttled(generation)
                else:
                    self._limiter.on_success()
                    latency = time.perf_counter() - attempt_start
                    return completion, started_at, latency, attempt
            if not failure.retryable:
                raise FatalCallError(self._describe(req, failure.cause), **_ids(req, failure))
            if attempt <= self.config.max_retries:
                await self._wait_before_retry(req, attempt, failure)
        raise RetriesExhausted(
            self._describe(req, f"gave up after {attempt} attempts; last cause: {failure.cause}"),
            **_ids(req, failure),
        )

    async def _attempt(self, client: openai.AsyncOpenAI, req: ChatRequest) -> Completion:
        # A plain JSON body through the SDK's `post`: the same request, auth and error types as
        # `chat.completions.create`, without its per-request type-driven transform of the body
        # (a fifth of a profiled run's CPU; our messages and params are plain JSON already).
        # Parameters go in verbatim, so any server-specific one (top_k, min_p) passes.
        body = {"model": req.model, "messages": [dict(m) for m in req.messages], **req.params}
        async with asyncio.timeout(self.config.timeout_s):
            raw = await client.post("/chat/completions", body=body, cast_to=httpx.Response,
                                    options=_POST_OPTIONS)
            return parse_completion(raw.content)

    async def _wait_before_retry(self, req: ChatRequest, attempt: int, failure: Failure) -> None:
        delay = backoff_delay(
            attempt,
            base_s=self.config.backoff_base_s,
            max_s=self.config.backoff_max_s,
            retry_after_s=failure.retry_after_s,
            retry_after_max_s=self.config.retry_after_max_s,
            rng=self._rng,
        )
        if self._on_event is not None:
            self._on_event(
                "retry",
                {
                    "status": failure.status,
                    "attempt": attempt,
                    "delay": delay,
                    "cause": failure.cause,
                    "request_id": req.request_id,
                },
            )
        await self._sleep(delay)

    def _describe(self, req: ChatRequest, what: str) -> str:
        return f"{self.identity} (model {req.model}): {what}"

    async def aclose(self) -> None:
        for client in self._clients:
            await client.close()

    async def __aenter__(self) -> EndpointClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _ids(req: ChatRequest, failure: Failure) -> dict[str, Any]:
    return {"request_id": req.request_id, "status": failure.status}


def _result(content: str, finish_reason: str, usage: Usage, completion: Completion,
            started_at: datetime, latency_s: float, attempts: int) -> ChatResult:
    return ChatResult(content=content, finish_reason=finish_reason, usage=usage,
                      usage_raw=completion.usage_raw, started_at=started_at, latency_s=latency_s,
                      attempts=attempts, response_id=completion.response_id)
