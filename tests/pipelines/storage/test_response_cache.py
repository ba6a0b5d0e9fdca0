"""ResponseCache and cache_key: stable keys, exact round trips, no secrets on disk."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pipelines.storage.response_cache import ResponseCache, cache_key
from pipelines.endpoints import EndpointClient, EndpointConfig
from pipelines.types import ChatRequest, ChatResult, Usage
from tests.pipelines.endpoints.fakes import DEEPSEEK_USAGE, Script, ok

IDENTITY = "http://a:8000/v1"
REQ = ChatRequest(
    model="moe-tiny",
    messages=({"role": "system", "content": "Be brief."}, {"role": "user", "content": "2+2? π"}),
    params={"temperature": 0.7, "max_tokens": 64, "seed": 1},
    route_key="item-1",
    request_id="run1/item-1/solve#0",
)
RESULT = ChatResult(
    content="4 — \\boxed{4}",
    finish_reason="stop",
    usage=Usage(prompt_tokens=120, completion_tokens=30, cached_tokens=64, reasoning_tokens=20),
    usage_raw=DEEPSEEK_USAGE,
    started_at=datetime(2025, 9, 29, 16, 30, 5, 123456, tzinfo=timezone.utc),
    latency_s=0.1 + 0.2,  # a float that does not print short
    attempts=3,
    response_id="chatcmpl-xyz",
)


def test_key_is_sha256_of_canonical_json() -> None:
    canonical = (
        '{"endpoint":"http://a:8000/v1","messages":[{"content":"Be brief.","role":"system"},'
        '{"content":"2+2? π","role":"user"}],"model":"moe-tiny",'
        '"params":{"max_tokens":64,"seed":1,"temperature":0.7},"sample":0}'
    )
    assert cache_key(IDENTITY, REQ, 0) == hashlib.sha256(canonical.encode()).hexdigest()


def test_key_ignores_labels_and_param_order() -> None:
    relabelled = replace(REQ, route_key="other", request_id="run2/x")
    reordered = replace(REQ, params={"seed": 1, "max_tokens": 64, "temperature": 0.7})
    assert cache_key(IDENTITY, relabelled, 0) == cache_key(IDENTITY, REQ, 0)
    assert cache_key(IDENTITY, reordered, 0) == cache_key(IDENTITY, REQ, 0)


@pytest.mark.parametrize(
    ("identity", "req", "sample"),
    [
        ("embedded", REQ, 0),
        (IDENTITY, replace(REQ, model="moe-small"), 0),
        (IDENTITY, replace(REQ, messages=(REQ.messages[0], {"role": "user", "content": "2+3? π"})), 0),
        (IDENTITY, replace(REQ, messages=(REQ.messages[0], {"role": "assistant", "content": "2+2? π"})), 0),
        (IDENTITY, replace(REQ, messages=REQ.messages[1:]), 0),
        (IDENTITY, replace(REQ, params={**REQ.params, "temperature": 0.8}), 0),
        (IDENTITY, replace(REQ, params={**REQ.params, "top_p": 0.9}), 0),
        (IDENTITY, REQ, 1),
    ],
    ids=["identity", "model", "content", "role", "message-count", "param-value", "param-added", "sample"],
)
def test_key_changes_with_every_field_that_shapes_the_answer(identity: str, req: ChatRequest, sample: int) -> None:
    assert cache_key(identity, req, sample) != cache_key(IDENTITY, REQ, 0)


def test_miss_then_hit_and_exact_round_trip(tmp_path: Path) -> None:
    key = cache_key(IDENTITY, REQ, 0)
    with ResponseCache(tmp_path / "cache" / "responses.sqlite") as cache:
        assert cache.get(key) is None
        cache.put(key, RESULT)
        got = cache.get(key)
        assert cache.get(cache_key(IDENTITY, REQ, 1)) is None
    assert got == RESULT
    assert got.started_at.utcoffset() == timedelta(0)
    assert got.latency_s == 0.1 + 0.2
    assert isinstance(got.usage, Usage) and dict(got.usage_raw) == DEEPSEEK_USAGE


def test_survives_reopening_and_is_wal(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with ResponseCache(path) as cache:
        cache.put("k", RESULT)
        cache.put("k", replace(RESULT, content="newer"))  # same key: replaced, not duplicated
        assert len(cache) == 1
    with ResponseCache(path) as cache:
        assert cache.get("k") == replace(RESULT, content="newer")
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


WRITER = """
import sys, time
from dataclasses import replace
from pathlib import Path
from pipelines.storage.response_cache import ResponseCache
from tests.pipelines.storage.test_response_cache import RESULT
path, go = Path(sys.argv[1]), Path(sys.argv[2])
cache = ResponseCache(path)
go.with_name("ready").touch()
while not go.exists():
    time.sleep(0.001)
for i in range(300):
    cache.put(f"proc{i}", replace(RESULT, content=f"process answer {i}"))
cache.close()
"""


def test_concurrent_tasks_and_two_connections(tmp_path: Path) -> None:
    """Threads on two connections of this process and a second process write the same file at
    once (SQLite runs without the GIL): every row lands, exactly as written, seen by all."""
    path, go = tmp_path / "c.sqlite", tmp_path / "go"
    first, second = ResponseCache(path), ResponseCache(path)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(go)],
                              cwd=Path(__file__).resolve().parents[3])
    start = threading.Barrier(8)

    def write(worker: int) -> list[str]:
        cache = first if worker % 2 else second
        start.wait()
        missing = []
        for i in range(worker, 400, 8):
            cache.put(f"k{i}", replace(RESULT, content=f"answer {i}"))
            if cache.get(f"k{i}") != replace(RESULT, content=f"answer {i}"):
                missing.append(f"k{i}")
        return missing

    deadline = time.monotonic() + 60
    while not (tmp_path / "ready").exists():  # the writer has its connection open
        assert writer.poll() is None and time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.01)
    go.touch()
    with ThreadPoolExecutor(8) as pool:
        missing = [k for found in pool.map(write, range(8)) for k in found]
    assert writer.wait(timeout=60) == 0
    assert missing == []
    assert (len(first), len(second)) == (700, 700)
    for cache in (first, second):
        assert [cache.get(f"k{i}").content for i in range(400)] == [f"answer {i}" for i in range(400)]  # type: ignore[union-attr]
        assert [cache.get(f"proc{i}").content for i in range(300)] == [  # type: ignore[union-attr]
            f"process answer {i}" for i in range(300)]
    first.close()
    second.close()


def test_api_key_never_reaches_the_cache_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk-test-9f8e7d6c5b4a39281706"
    monkeypatch.setenv("PIPE_TEST_KEY", secret)
    script = Script(ok("four", usage=DEEPSEEK_USAGE))
    config = EndpointConfig(url="http://a:8000/v1", api_key_env="PIPE_TEST_KEY")
    path = tmp_path / "responses.sqlite"

    async def call_and_cache() -> None:
        async with EndpointClient(config, transport=script.transport()) as client:
            result = await client.chat(REQ)
            cache = ResponseCache(path)
            key = cache_key(client.identity, REQ, 0)
            cache.put(key, result)
            assert cache.get(key) == result
            assert secret not in client.identity and secret not in key
            # keep the connection open: the row may still sit in the WAL file, check it too

            on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
            assert b"four" in on_disk  # the scan does see the stored response
            assert secret.encode() not in on_disk
            cache.close()

    asyncio.run(call_and_cache())
    assert script.requests[0].headers["authorization"] == f"Bearer {secret}"  # the key was in play
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert secret.encode() not in on_disk and b"four" in on_disk
