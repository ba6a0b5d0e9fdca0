"""The job store's guarantees: one result per custom_id, one live runner per job."""

from __future__ import annotations

import os
import subprocess
import sys

from pipelines.batch.jobstore import JobStore
from pipelines.batch.requests import BatchRequest, Rejected

BODY = {"model": "m", "messages": [{"role": "user", "content": "x"}]}


def make_job(store: JobStore, n: int = 3) -> str:
    requests = [BatchRequest(f"c{i}", i + 1, "/v1/chat/completions", BODY) for i in range(n)]
    return store.create_job(created_at="2025-03-01T00:00:00+00:00", source="in.jsonl",
                            endpoint="http://x/v1", endpoint_spec={"url": "http://x/v1"},
                            api="concurrent", pricing=None, max_cost=None, plan={},
                            requests=requests, rejected=[Rejected(9, None, "bad")])


def test_a_result_is_recorded_once_and_pending_streams_in_input_order(tmp_path):
    store = JobStore(tmp_path)
    job = make_job(store, 2500)
    assert [r.custom_id for r in store.pending(job)][:3] == ["c0", "c1", "c2"]
    assert len(list(store.pending(job))) == 2500
    assert store.record(job, "c1", {"state": "done", "cost_usd": 0.5, "response": {"a": 1}})
    assert not store.record(job, "c1", {"state": "done", "cost_usd": 0.5})  # already recorded
    assert store.counts(job) == {"pending": 2499, "done": 1, "failed": 0, "rejected": 1}
    assert store.spent(job) == 0.5
    assert store.rows(job)[1]["response"] == {"a": 1}
    assert "c1" not in {r.custom_id for r in store.pending(job)}


def test_transient_failures_go_back_to_pending_on_resume(tmp_path):
    store = JobStore(tmp_path)
    job = make_job(store)
    store.record(job, "c0", {"state": "failed", "retryable": 1, "status_code": 503})
    store.record(job, "c1", {"state": "failed", "retryable": 0, "status_code": 400})
    assert store.retry_failed(job) == 1
    assert [r.custom_id for r in store.pending(job)] == ["c0", "c2"]


def test_one_live_runner_per_job(tmp_path):
    store = JobStore(tmp_path)
    job = make_job(store)
    assert store.claim(job)
    other = JobStore(tmp_path)
    assert not other.claim(job)  # this process is alive and its heartbeat fresh
    store.release(job)
    assert other.claim(job)


def test_a_dead_owner_is_taken_over_at_once(tmp_path):
    store = JobStore(tmp_path)
    job = make_job(store)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    store.claim(job)
    store.update_job(job, owner_pid=int(dead))
    assert not store.owner_alive(store.job(job))
    assert store.claim(job) and store.job(job)["owner_pid"] == os.getpid()
