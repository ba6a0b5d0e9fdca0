"""EndpointClient against an in-process fake server and scripted faults (no real time spent)."""

from __future__ import annotations

import asyncio
import random
import sys
from datetime import datetime, timezone

import httpx
import pytest

import pipelines.endpoints.embedded as embedded_module
from pipelines.endpoints import EndpointClient, EndpointConfig, resolve_endpoint
from pipelines.errors import FatalCallError, RetriesExhausted
from pipelines.plugins import ENDPOINTS
from pipelines.types import Usage
from tests.pipelines.endpoints.fakes import (
    DEEPSEEK_USAGE,
    OPENAI_USAGE,
    FakeServer,
    Script,
    Sleeps,
    ok,
    request,
)

pytestmark = pytest.mark.anyio

URL = "http://replica-a:8000/v1"


class Events(list):
    """Records `on_event(kind, info)` calls as (kind, info) pairs."""

    def __call__(self, kind: str, info: dict) -> None:
        self.append((kind, info))


def client_for(
    script: Script, sleeps: Sleeps | None = None, events: Events | None = None, **config: object
) -> EndpointClient:
    return EndpointClient(
        EndpointConfig(url=URL, **config),
        transport=script.transport(),
        sleep=sleeps or Sleeps(),
        on_event=events,
        rng=random.Random(7),
    )


async def test_happy_path_through_fake_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_KEY", "sk-happy")
    server = FakeServer()
    config = EndpointConfig(url=URL, api_key_env="FAKE_KEY")
    req = request("hello", params={"temperature": 0.7, "max_tokens": 64, "top_k": 20, "seed": 3})
    before = datetime.now(timezone.utc)
    async with EndpointClient(config, transport=server.transport()) as client:
        result = await client.chat(req)
    assert result.content == "echo: hello"
    assert result.finish_reason == "stop"
    assert result.response_id == "chatcmpl-test"
    assert result.attempts == 1
    assert before <= result.started_at <= datetime.now(timezone.utc)
    assert result.started_at.tzinfo is not None
    assert 0 < result.latency_s < 5
    # The body reaches the server verbatim, server-specific parameters included.
    assert server.bodies == [
        {
            "model": "fake",
            "messages": [{"role": "user", "content": "hello"}],
            "temperature": 0.7,
            "max_tokens": 64,
            "top_k": 20,
            "seed": 3,
        }
    ]
    assert server.headers[0]["authorization"] == "Bearer sk-happy"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (OPENAI_USAGE, Usage(prompt_tokens=120, completion_tokens=30, cached_tokens=100, reasoning_tokens=12)),
        (DEEPSEEK_USAGE, Usage(prompt_tokens=120, completion_tokens=30, cached_tokens=64, reasoning_tokens=20)),
    ],
    ids=["openai", "deepseek"],
)
async def test_usage_is_normalised_and_raw_kept(raw: dict, expected: Usage) -> None:
    server = FakeServer(usage=raw)
    async with EndpointClient(EndpointConfig(url=URL), transport=server.transport()) as client:
        result = await client.chat(request())
    assert result.usage == expected
    assert result.usage_raw == raw


@pytest.mark.parametrize(
    ("headers", "expected_delay"),
    [({"retry-after": "2"}, 2.0), ({"retry-after-ms": "1500"}, 1.5), ({"retry-after": "9999"}, 60.0)],
    ids=["seconds", "milliseconds", "capped"],
)
async def test_429_honours_retry_after(headers: dict, expected_delay: float) -> None:
    script = Script(httpx.Response(429, headers=headers, json={"error": {"message": "slow down"}}), ok("fine"))
    sleeps, events = Sleeps(), Events()
    async with client_for(script, sleeps, events, retry_after_max_s=60) as client:
        result = await client.chat(request())
    assert result.content == "fine"
    assert result.attempts == 2
    assert sleeps.delays == [expected_delay]
    assert events == [
        ("retry", {"status": 429, "attempt": 1, "delay": expected_delay, "cause": "HTTP 429: slow down", "request_id": None})
    ]


@pytest.mark.parametrize("status", [408, 409, 500, 502, 503])
async def test_retryable_status_then_success(status: int) -> None:
    script = Script(httpx.Response(status, json={"error": {"message": "oops"}}), ok("second"))
    sleeps = Sleeps()
    async with client_for(script, sleeps, backoff_base_s=0.5) as client:
        result = await client.chat(request())
    assert (result.content, result.attempts, len(script.requests)) == ("second", 2, 2)
    assert len(sleeps.delays) == 1 and 0 <= sleeps.delays[0] <= 0.5  # full jitter, first bound


@pytest.mark.parametrize(
    "fault",
    [
        httpx.ReadTimeout("read timed out"),
        httpx.ConnectTimeout("connect timed out"),
        httpx.ConnectError("connection refused"),
        httpx.RemoteProtocolError("server disconnected without sending a response"),
        httpx.ReadError("connection reset by peer"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_transport_fault_then_success(fault: Exception) -> None:
    script, events = Script(fault, ok("recovered")), Events()
    async with client_for(script, events=events) as client:
        result = await client.chat(request())
    assert (result.content, result.attempts) == ("recovered", 2)
    kind, info = events[0]
    assert kind == "retry" and info["status"] is None and info["attempt"] == 1
    expected = "timed out" if isinstance(fault, httpx.TimeoutException) else "connection failed"
    assert info["cause"].startswith(expected)


async def test_slow_attempt_hits_the_per_attempt_deadline() -> None:
    async def stall_first(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)  # cancelled by the 0.05 s deadline
        raise AssertionError("the deadline should have cut this attempt")

    script, events = Script(stall_first, ok("in time")), Events()
    async with client_for(script, events=events, timeout_s=0.05) as client:
        result = await client.chat(request())
    assert (result.content, result.attempts) == ("in time", 2)
    assert events[0][1]["cause"] == "timed out"
    assert client.in_flight == 0


@pytest.mark.parametrize(
    "bad",
    [
        httpx.Response(200, content=b'{"choices": [{"message": {"content": "cut off'),
        httpx.Response(200, content=b"<html>bad gateway</html>"),
        httpx.Response(200, json={"object": "chat.completion", "choices": []}),
        httpx.Response(200, json={"error": {"message": "model overloaded"}}),
    ],
    ids=["truncated", "html", "no-choices", "error-in-200"],
)
async def test_malformed_response_then_success(bad: httpx.Response) -> None:
    script, events = Script(bad, ok("good")), Events()
    async with client_for(script, events=events) as client:
        result = await client.chat(request())
    assert (result.content, result.attempts) == ("good", 2)
    assert events[0][1]["cause"].startswith("malformed response")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
async def test_fatal_status_is_not_retried(status: int) -> None:
    refusal = httpx.Response(
        status,
        headers={"x-request-id": "req_server_42"},
        json={"error": {"message": f"refused with {status}", "type": "invalid_request_error"}},
    )
    script = Script(refusal, ok("never"))
    sleeps = Sleeps()
    async with client_for(script, sleeps, api_key_env="MY_KEY_VAR") as client:
        with pytest.raises(FatalCallError) as caught:
            await client.chat(request(request_id="item3/solve#0"))
    assert len(script.requests) == 1
    assert sleeps.delays == []
    err = caught.value
    assert err.status == status
    assert err.request_id == "item3/solve#0"
    text = str(err)
    assert f"refused with {status}" in text
    assert "req_server_42" in text and "item3/solve#0" in text and URL in text
    if status == 401:
        assert "$MY_KEY_VAR" in text


async def test_retries_exhausted_after_max_retries_plus_one_attempts() -> None:
    script = Script(httpx.Response(503, json={"error": {"message": "overloaded"}}))
    sleeps, events = Sleeps(), Events()
    async with client_for(script, sleeps, events, max_retries=4, backoff_base_s=1.0, backoff_max_s=5.0) as client:
        with pytest.raises(RetriesExhausted) as caught:
            await client.chat(request(request_id="r1"))
    assert len(script.requests) == 5
    assert len(sleeps.delays) == 4
    for retry, delay in enumerate(sleeps.delays, start=1):
        assert 0 <= delay <= min(5.0, 1.0 * 2 ** (retry - 1))
    assert caught.value.status == 503
    assert "5 attempts" in str(caught.value) and "HTTP 503: overloaded" in str(caught.value)
    assert [info["attempt"] for _, info in events] == [1, 2, 3, 4]


async def test_zero_retries_means_one_attempt() -> None:
    script = Script(httpx.ConnectError("refused"))
    async with client_for(script, max_retries=0) as client:
        with pytest.raises(RetriesExhausted, match="connection failed"):
            await client.chat(request())
    assert len(script.requests) == 1


async def test_adaptive_limit_halves_on_429_and_recovers_additively() -> None:
    script = Script(httpx.Response(429, json={"error": {"message": "rate"}}), ok())
    async with client_for(script, concurrency=8) as client:
        assert client.limit == 8
        await client.chat(request())  # a 429, then one success
        assert client.limit == 4
        trajectory = []
        for _ in range(21):
            await client.chat(request())
            trajectory.append(client.limit)
    # `limit` successes in a row raise the limit by one: 4 -> 5 after 4 (one already counted).
    assert trajectory[:3] == [4, 4, 5]
    assert trajectory.index(6) == 7 and trajectory.index(7) == 13 and trajectory[-1] == 8


async def test_concurrency_never_exceeds_the_limit() -> None:
    server = FakeServer(delay_s=0.01)
    async with EndpointClient(EndpointConfig(url=URL, concurrency=4), transport=server.transport()) as client:
        observed: list[int] = []

        async def one(i: int) -> str:
            observed.append(client.in_flight)
            return (await client.chat(request(f"q{i}"))).content

        results = await asyncio.gather(*(one(i) for i in range(40)))
        assert client.in_flight == 0
    assert sorted(results) == sorted(f"echo: q{i}" for i in range(40))
    assert server.peak == 4  # reached, never passed
    assert max(observed) <= 4


async def test_lowered_limit_bounds_concurrency_too() -> None:
    server = FakeServer(delay_s=0.01)
    async with EndpointClient(EndpointConfig(url=URL, concurrency=8), transport=server.transport()) as client:
        client._limiter.on_throttled(client._limiter.generation)  # as after a 429
        assert client.limit == 4
        await asyncio.gather(*(client.chat(request(f"q{i}")) for i in range(12)))
    assert 4 <= server.peak <= 5  # 4, and one more once a run of 4 successes raises it


def test_connection_pool_is_at_least_the_concurrency() -> None:
    config = EndpointConfig(urls=["http://a:1/v1", "http://b:2/v1"], concurrency=48)
    client = EndpointClient(config)
    for sdk_client in client._clients:
        pool = sdk_client._client._transport._pool  # httpx's real pool behind the SDK
        assert pool._max_connections >= 48
        assert pool._max_keepalive_connections >= 48
    asyncio.run(client.aclose())


async def test_cancelled_call_frees_its_slot() -> None:
    server = FakeServer(delay_s=30)
    async with EndpointClient(EndpointConfig(url=URL, concurrency=1), transport=server.transport()) as client:
        task = asyncio.create_task(client.chat(request()))
        while server.current == 0:
            await asyncio.sleep(0.001)
        assert client.in_flight == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert client.in_flight == 0


async def test_embedded_endpoint_uses_moe_server_app(monkeypatch: pytest.MonkeyPatch) -> None:
    server = FakeServer()
    monkeypatch.setattr(embedded_module, "create_app", server.app)
    async with EndpointClient(resolve_endpoint("embedded")) as client:
        assert client.identity == "embedded"
        result = await client.chat(request("offline"))
    assert result.content == "echo: offline"
    assert server.headers[0]["host"] == "embedded"


def test_embedded_without_moe_is_a_clear_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.errors import InputError

    monkeypatch.setattr(ENDPOINTS, "_entries", None)  # entry points are read again
    monkeypatch.setitem(sys.modules, "pipelines.endpoints.embedded", None)  # its import fails
    with pytest.raises(InputError, match="embedded endpoint needs the `moe` package"):
        EndpointClient(resolve_endpoint("embedded"))


async def test_started_at_is_the_first_attempt_and_latency_the_last() -> None:
    sent_at: list[datetime] = []

    async def slow_failure(request: httpx.Request) -> httpx.Response:
        sent_at.append(datetime.now(timezone.utc))
        await asyncio.sleep(0.1)
        return httpx.Response(500, json={"error": {"message": "boom"}})

    def quick_success(request: httpx.Request) -> httpx.Response:
        sent_at.append(datetime.now(timezone.utc))
        return ok("done")

    async with client_for(Script(slow_failure, quick_success)) as client:
        result = await client.chat(request())
    assert result.started_at <= sent_at[0]
    assert (sent_at[1] - result.started_at).total_seconds() >= 0.1
    assert result.latency_s < 0.1  # the successful attempt only, not the failed one before it
