"""A cancelled job can be resumed: what it finished is kept, the rest is sent once."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

from pipelines.batch import jobs
from pipelines.batch.jobstore import JobStore
from pipelines.batch.runner import run_job
from tests.pipelines.batch.conftest import custom_id_of, read_jsonl, write_input
from tests.pipelines.batch.test_batch_api import OPTS, served, url, write  # noqa: F401 (fixtures)
from tests.pipelines.batch.test_runner import ENDPOINT, options
from tests.pipelines.fake_llm import FakeLLM

IDS = [f"req-{i:05d}" for i in range(200)]


def test_a_job_cancelled_before_it_ran_resumes_to_completion(tmp_path, sheet):
    fake, store = FakeLLM(), tmp_path / "s"
    opts = options(fake).but(store=store, endpoint=ENDPOINT)
    job_id = jobs.submit(write_input(tmp_path / "in.jsonl", 200), options=opts,
                         api="concurrent", pricing=str(sheet), run=False).job_id
    assert jobs.cancel(job_id, store=store) == "cancelled"
    assert jobs.status(job_id, store=store)[0]["state"] == "cancelled"
    outcome = jobs.resume(job_id, opts)
    assert (outcome.state, outcome.exit_code) == ("completed", 0)
    assert outcome.counts == {"pending": 0, "done": 200, "failed": 0, "rejected": 0}
    assert sorted(custom_id_of(b) for b in fake.requests) == IDS


def test_a_job_cancelled_mid_run_resumes_and_sends_each_request_once(tmp_path, sheet):
    fake, store = FakeLLM(delay=lambda body: 0.01), tmp_path / "s"
    opts = options(fake).but(store=store, endpoint=ENDPOINT, concurrency=2)
    job_id = jobs.submit(write_input(tmp_path / "in.jsonl", 200), options=opts,
                         api="concurrent", pricing=str(sheet), run=False).job_id
    ran: dict = {}
    worker = threading.Thread(target=lambda: ran.update(first=jobs.resume(job_id, opts)))
    worker.start()
    deadline = time.monotonic() + 20
    while jobs.status(job_id, store=store)[0]["counts"]["done"] < 20 \
            and time.monotonic() < deadline:
        time.sleep(0.01)
    assert jobs.cancel(job_id, store=store) == "cancelling"
    worker.join(20)
    first = ran["first"]
    assert first.state == "cancelled" and 20 <= first.counts["done"] < 200
    done_before = {r["custom_id"]: r["cost_usd"] for r in JobStore(store).rows(job_id)
                   if r["state"] == "done"}

    again = jobs.resume(job_id, opts.but(concurrency=None))
    assert again.state == "completed"
    assert again.counts == {"pending": 0, "done": 200, "failed": 0, "rejected": 0}
    sent = Counter(custom_id_of(b) for b in fake.requests)
    assert sorted(sent) == IDS and set(sent.values()) == {1}  # none sent twice, none lost
    rows = {r["custom_id"]: r for r in JobStore(store).rows(job_id)}
    assert all(rows[cid]["cost_usd"] == usd for cid, usd in done_before.items())
    jobs.results(job_id, tmp_path / "out.jsonl", store=store)
    assert sorted(o["custom_id"] for o in read_jsonl(tmp_path / "out.jsonl")) == IDS
    assert read_jsonl(tmp_path / "out.errors.jsonl") == []


def test_a_cancelled_batch_api_job_resumes_with_a_new_batch_for_the_rest(tmp_path, url):
    path, sheet = write(tmp_path, 300)
    store = tmp_path / "s"
    job_id = jobs.submit(path, options=OPTS.but(store=store, endpoint=url), api="batch",
                         pricing=sheet, run=False).job_id

    async def cancel_once_submitted():
        task = asyncio.create_task(run_job(JobStore(store), job_id, OPTS.but(store=store)))
        while not JobStore(store).job(job_id)["remote"].get("batch_id"):
            await asyncio.sleep(0.01)
        assert jobs.cancel(job_id, store=store) == "cancelling"
        return await task

    first = asyncio.run(cancel_once_submitted())
    # the batch's unfinished lines come back as `batch_cancelled` errors
    assert first.state == "cancelled" and first.counts["done"] < 300
    assert first.counts["failed"] == 300 - first.counts["done"]
    cancelled_batch = JobStore(store).job(job_id)["remote"]["batch_id"]

    again = jobs.resume(job_id, OPTS.but(store=store))
    assert again.state == "completed"
    assert again.counts == {"pending": 0, "done": 300, "failed": 0, "rejected": 0}
    assert JobStore(store).job(job_id)["remote"]["batch_id"] != cancelled_batch
    jobs.results(job_id, tmp_path / "out.jsonl", store=store)
    outputs = read_jsonl(tmp_path / "out.jsonl")
    assert sorted(o["custom_id"] for o in outputs) == sorted(f"r{i}" for i in range(300))
