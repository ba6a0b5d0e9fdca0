"""A job's run holds a bounded window of requests, whatever its size, and keeps the event loop
turning against an endpoint that answers without ever suspending (in-process, zero latency):
real SQLite, the real runner, the SQL it sends observed on its own connection."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from pathlib import Path

import httpx

from pipelines import RunOptions
from pipelines.batch import executor, jobs
from pipelines.batch.jobstore import JobStore
from pipelines.batch.runner import run_job
from tests.pipelines.batch.conftest import custom_id_of, write_input

LINES, WINDOW, CONCURRENCY = 3000, 100, 8
PAGE_READ = re.compile(r"state='pending'\) AND seq > (-?\d+) ORDER BY seq LIMIT (\d+)")
RECORD = re.compile(r"^UPDATE requests SET .* AND custom_id='([^']+)' AND state='pending'$", re.S)


class Instant:
    """An ASGI chat endpoint that answers at once: without suspending at all, or with
    `turns` turns of the event loop first (so that requests overlap). It records the
    custom_ids it was sent and calls `on_request(n)` with their count."""

    def __init__(self, on_request=lambda n: None, turns: int = 0):
        self.sent: list[str] = []
        self.on_request, self.turns = on_request, turns

    async def __call__(self, scope, receive, send):
        body = json.loads((await receive())["body"])
        self.sent.append(custom_id_of(body))
        self.on_request(len(self.sent))
        for _ in range(self.turns):
            await asyncio.sleep(0)
        reply = {"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
                 "choices": [{"index": 0, "finish_reason": "stop",
                              "message": {"role": "assistant", "content": "ok"}}],
                 "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": json.dumps(reply).encode()})


def submitted(tmp_path: Path, app: Instant) -> tuple[str, RunOptions]:
    opts = RunOptions(store=tmp_path / "s", endpoint="http://instant/v1",
                      concurrency=CONCURRENCY, transport=httpx.ASGITransport(app=app),
                      watch_s=0.01)
    done = jobs.submit(write_input(tmp_path / "in.jsonl", LINES), options=opts,
                       api="concurrent", now=True, run=False)
    return done.job_id, opts


def test_a_run_never_holds_more_requests_than_its_window(tmp_path, monkeypatch):
    """Held = read from the store (pages, by keyset) minus recorded: it never passes the
    window, though the job is 30 windows long; every request is sent once and recorded."""
    monkeypatch.setattr(executor, "WINDOW", WINDOW)
    app = Instant(turns=3)
    job_id, opts = submitted(tmp_path, app)
    store = JobStore(opts.store)
    admitted = recorded = 0
    held: list[int] = []
    pages: list[tuple[int, int]] = []

    def watch(sql: str) -> None:
        nonlocal admitted, recorded
        if page := PAGE_READ.search(sql):
            after, limit = int(page[1]), int(page[2])
            pages.append((after, limit))
            admitted += limit  # every page but the last is full
            held.append(admitted - recorded)
        elif RECORD.match(sql):
            recorded += 1

    store.db.set_trace_callback(watch)
    try:
        outcome = asyncio.run(run_job(store, job_id, opts))
    finally:
        store.db.set_trace_callback(None)
        store.close()
    assert outcome.state == "completed" and outcome.counts["done"] == LINES
    assert recorded == LINES
    assert Counter(app.sent) == Counter(f"req-{i:05d}" for i in range(LINES))
    assert len(pages) >= LINES // WINDOW
    assert [after for after, _ in pages] == sorted(after for after, _ in pages)  # keyset, forward
    assert max(limit for _, limit in pages) <= WINDOW
    assert CONCURRENCY < max(held) <= WINDOW, held


def test_cancel_from_elsewhere_is_seen_while_an_instant_endpoint_answers(tmp_path):
    """The runner's watcher (heartbeat, cancel asked from another shell) gets its turns
    although no request ever suspends: the job stops with most of its requests pending."""
    asked: list[str] = []

    def cancel_at_200(n: int) -> None:
        if n == 200:
            asked.append(jobs.cancel(job_id, store=tmp_path / "s"))

    app = Instant(cancel_at_200)
    job_id, opts = submitted(tmp_path, app)
    outcome = jobs.resume(job_id, opts)
    assert asked == ["cancelling"]
    assert outcome.state == "cancelled"
    assert outcome.counts["done"] == len(app.sent) >= 200
    assert outcome.counts["pending"] == LINES - len(app.sent) > LINES // 2
    assert len(set(app.sent)) == len(app.sent)
