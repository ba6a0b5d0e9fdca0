"""The embedded server's Batch API (/v1/files, /v1/batches) through the official client."""

from __future__ import annotations

import asyncio
import json

import openai
import pytest

from moe.server import create_app
from tests.moe.engine.conftest import generate, small_model
from tests.moe.server.conftest import asgi_openai


def line(custom_id: str, **body) -> str:
    body = {"model": "moe-tiny", "messages": [{"role": "user", "content": f"hi {custom_id}"}],
            "max_tokens": 3, **body}
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
                       "body": body})


async def finished(client: openai.AsyncOpenAI, batch_id: str):
    while True:
        batch = await client.batches.retrieve(batch_id)
        if batch.status in ("completed", "failed", "cancelled"):
            return batch
        await asyncio.sleep(0.02)


async def upload(client, lines: list[str]):
    return await client.files.create(file=("in.jsonl", "\n".join(lines).encode()), purpose="batch")


def run(scenario):
    async def wrapped():
        async with asgi_openai(create_app(small_model())) as client:
            return await scenario(client)
    return asyncio.run(wrapped())


def test_a_batch_runs_every_line_and_returns_output_and_error_files():
    async def scenario(client):
        f = await upload(client, [line(f"r{i}", seed=i) for i in range(12)]
                         + [line("bad", model="no-such-model")])
        assert (f.purpose, f.bytes) == ("batch", len((await client.files.content(f.id)).content))
        batch = await client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                            completion_window="24h", metadata={"k": "v"})
        assert batch.status == "in_progress" and batch.request_counts.total == 13
        batch = await finished(client, batch.id)
        out = [json.loads(t) for t in (await client.files.content(batch.output_file_id)).text.splitlines()]
        err = [json.loads(t) for t in (await client.files.content(batch.error_file_id)).text.splitlines()]
        return batch, out, err

    batch, out, err = run(scenario)
    assert batch.status == "completed" and batch.metadata == {"k": "v"}
    assert (batch.request_counts.completed, batch.request_counts.failed) == (12, 1)
    assert sorted(o["custom_id"] for o in out) == sorted(f"r{i}" for i in range(12))
    assert {o["response"]["status_code"] for o in out} == {200}
    for o in out:  # each line's answer is what the engine gives that request on its own
        i = int(o["custom_id"][1:])
        alone = generate(small_model(), f"hi r{i}", max_tokens=3, seed=i)
        body = o["response"]["body"]
        assert body["choices"][0]["message"]["content"] == alone["texts"][0]
        assert body["usage"]["completion_tokens"] == len(alone["ids"][0])
    assert out[0]["response"]["request_id"] == out[0]["response"]["body"]["id"]
    assert [(e["custom_id"], e["response"]["status_code"]) for e in err] == [("bad", 404)]
    assert err[0]["response"]["body"]["error"]["code"] == "model_not_found"


def test_a_bad_input_file_fails_the_batch_with_line_numbers_before_anything_runs():
    async def scenario(client):
        f = await upload(client, [line("a"), "{nope", line("a"),
                                  line("c").replace("/v1/chat/completions", "/v1/embeddings")])
        batch = await client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                            completion_window="24h")
        return batch

    batch = run(scenario)
    assert batch.status == "failed" and batch.failed_at and batch.output_file_id is None
    assert [(e.line, e.code) for e in batch.errors.data] == [(2, "invalid_request"),
                                                             (3, "invalid_request"),
                                                             (4, "invalid_request")]
    assert "used more than once" in batch.errors.data[1].message
    assert "does not match the batch endpoint" in batch.errors.data[2].message


def test_requests_the_api_refuses():
    async def scenario(client):
        with pytest.raises(openai.BadRequestError, match="purpose"):
            await client.files.create(file=("x.jsonl", b"{}"), purpose="fine-tune")
        with pytest.raises(openai.NotFoundError):
            await client.batches.create(input_file_id="file-missing", completion_window="24h",
                                        endpoint="/v1/chat/completions")
        f = await upload(client, [line("a")])
        with pytest.raises(openai.BadRequestError, match="not supported"):
            await client.batches.create(input_file_id=f.id, endpoint="/v1/embeddings",
                                        completion_window="24h")
        with pytest.raises(openai.BadRequestError, match="completion_window"):
            await client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                        completion_window="1h")
        with pytest.raises(openai.NotFoundError):
            await client.batches.retrieve("batch_missing")
        with pytest.raises(openai.NotFoundError):
            await client.files.content("file-missing")

    run(scenario)


def test_listing_pages_newest_first_and_cancel_stops_a_running_batch():
    async def scenario(client):
        f = await upload(client, [line("a")])
        ids = []
        for _ in range(3):
            b = await client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                            completion_window="24h")
            ids.append(b.id)
            await finished(client, b.id)
        listed = [b.id async for b in client.batches.list(limit=2)]
        big = await upload(client, [line(f"r{i}") for i in range(300)])
        running = await client.batches.create(input_file_id=big.id, completion_window="24h",
                                              endpoint="/v1/chat/completions")
        cancelling = await client.batches.cancel(running.id)
        done = await finished(client, running.id)
        completed = await client.batches.cancel(ids[0])  # a finished batch stays finished
        errors = [json.loads(t) for t in
                  (await client.files.content(done.error_file_id)).text.splitlines()]
        return ids, listed, cancelling, done, completed, errors

    ids, listed, cancelling, done, completed, errors = run(scenario)
    assert sorted(listed) == sorted(ids)  # three batches over two pages
    assert cancelling.status == "cancelling" and done.status == "cancelled"
    assert done.request_counts.completed < 300 and completed.status == "completed"
    assert {e["error"]["code"] for e in errors} == {"batch_cancelled"}
    assert len(errors) + done.request_counts.completed == 300
