"""The Batch API path end to end against the embedded server's /v1/files and /v1/batches."""

from __future__ import annotations

import asyncio

import pytest

from moe.server import create_app
from pipelines.batch import jobs
from pipelines.batch.provider_batch import BatchAPIRun, batch_api_client
from pipelines.batch.jobstore import JobStore
from pipelines.batch.metering import JobMeter
from pipelines import RunOptions
from pipelines.batch.runner import run_job
from pipelines.cost import load_meter
from pipelines.endpoints import resolve_endpoint
from pipelines.endpoints.usage import normalize_usage
from tests.moe.engine.conftest import small_model
from tests.pipelines.batch.conftest import read_jsonl, request_line
from tests.pipelines.batch.test_timeline import utc
from tests.pipelines.live_server import serve

SHEET = """\
name: tiny-batch
version: "1"
models:
  moe-tiny:
    batch_multiplier: 0.5
    periods:
      - from: "2025-01-01T00:00:00Z"
        rates: {input_miss: 1.0, input_hit: 0.1, output: 2.0}
"""


@pytest.fixture(scope="module")
def served():
    """The embedded server's app on a real local port (its engine runs in the server's loop)."""
    app = create_app(small_model())
    with serve(app) as url:
        yield app, url


@pytest.fixture
def server(served):
    return served[0]


@pytest.fixture
def url(served):
    return served[1]


OPTS = RunOptions(poll_s=0.02, watch_s=0.05)


def write(tmp_path, count: int):
    path = tmp_path / "in.jsonl"
    path.write_text("".join(request_line(f"r{i}", "moe-tiny", max_tokens=4) + "\n"
                            for i in range(count)))
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(SHEET)
    return path, str(sheet)


def test_batch_api_job_end_to_end_is_billed_at_the_batch_tier(tmp_path, url):
    path, sheet = write(tmp_path, 30)
    store = tmp_path / "s"
    done = jobs.submit(path, options=OPTS.but(store=store, endpoint=url), pricing=sheet)
    assert done.outcome.state == "completed"
    job = jobs.status(done.job_id, store=store)[0]
    assert job["api"] == "batch"  # auto: the endpoint has a Batch API
    assert job["remote"]["status"] == "completed" and job["remote"]["batch_id"].startswith("batch_")
    written = jobs.results(done.job_id, tmp_path / "out.jsonl", store=store)
    outputs = read_jsonl(tmp_path / "out.jsonl")
    assert sorted(o["custom_id"] for o in outputs) == sorted(f"r{i}" for i in range(30))
    assert all(o["response"]["body"]["object"] == "chat.completion" for o in outputs)
    meter = load_meter(sheet)
    rows = {r["custom_id"]: r for r in JobStore(store).rows(done.job_id)}
    bill = sum(meter.price(endpoint=url, model="moe-tiny",
                           usage=normalize_usage(o["response"]["body"]["usage"]),
                           started_at=utc("2025-06-01T00:00"), batch=True).usd for o in outputs)
    report = written["report"]
    assert report["tiers"].keys() == {"batch"}
    assert report["total"]["cost_usd"] == pytest.approx(bill, rel=1e-12) and bill > 0
    assert report["total"]["saving_pct"] == pytest.approx(50.0)
    assert {r["tier"] for r in rows.values()} == {"batch"}


def test_failed_lines_come_back_through_the_error_file(tmp_path, url):
    path, sheet = write(tmp_path, 3)
    with path.open("a") as f:
        f.write(request_line("wrong-model", "no-such-model") + "\n")
    store = tmp_path / "s"
    done = jobs.submit(path, options=OPTS.but(store=store, endpoint=url), api="batch", pricing=sheet)
    assert (done.outcome.state, done.outcome.exit_code) == ("completed", 1)
    jobs.results(done.job_id, tmp_path / "out.jsonl", store=store)
    errors = read_jsonl(tmp_path / "out.errors.jsonl")
    assert [(e["custom_id"], e["response"]["status_code"], e["error"]["code"]) for e in errors] \
        == [("wrong-model", 404, "model_not_found")]
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 3


def test_a_job_killed_after_creating_its_batch_finds_it_instead_of_submitting_again(tmp_path,
                                                                                     server, url):
    path, sheet = write(tmp_path, 5)
    store = tmp_path / "s"
    job_id = jobs.submit(path, options=OPTS.but(store=store, endpoint=url), api="batch",
                         pricing=sheet, run=False).job_id
    job_store = JobStore(store)

    class Killed(Exception):
        pass

    async def crash_after_create():
        client = batch_api_client(resolve_endpoint(url))
        meter = JobMeter(load_meter(sheet), url, sheet, utc("2025-06-01T00:00"))
        run = BatchAPIRun(job_id, job_store, client, meter, poll_s=0.02)
        created = run._create

        async def create_then_die(file_id):
            await created(file_id)
            raise Killed  # the process dies before the batch id is recorded

        run._create = create_then_die
        with pytest.raises(Killed):
            await run.run()
        await client.close()

    asyncio.run(crash_after_create())
    assert job_store.job(job_id)["remote"].keys() == {"file_id", "file_created_at"}
    outcome = jobs.resume(job_id, options=OPTS.but(store=store))
    assert outcome.state == "completed" and outcome.counts["done"] == 5
    ours = [b for b in server.state.batch_service.batches.values()
            if (b.meta["metadata"] or {}).get("pipe_job") == job_id]
    assert len(ours) == 1  # found again, not submitted twice
    assert ours[0].meta["request_counts"] == {"total": 5, "completed": 5, "failed": 0}


def test_cancel_a_running_batch_job(tmp_path, url):
    path, sheet = write(tmp_path, 400)
    store = tmp_path / "s"
    job_id = jobs.submit(path, options=OPTS.but(store=store, endpoint=url), api="batch",
                         pricing=sheet, run=False).job_id

    async def scenario():
        task = asyncio.create_task(run_job(JobStore(store), job_id, OPTS))
        while not JobStore(store).job(job_id)["remote"].get("batch_id"):
            await asyncio.sleep(0.01)
        assert jobs.cancel(job_id, store=store) == "cancelling"
        return await task

    outcome = asyncio.run(scenario())
    assert outcome.state == "cancelled"
    jobs.results(job_id, tmp_path / "out.jsonl", store=store)
    outputs = read_jsonl(tmp_path / "out.jsonl")
    errors = read_jsonl(tmp_path / "out.errors.jsonl")
    assert {e["error"]["code"] for e in errors} == {"batch_cancelled"}
    assert sorted(o["custom_id"] for o in outputs + errors) == sorted(f"r{i}" for i in range(400))
