"""Running jobs in-process against a fake endpoint: windows on a fast clock, cost report
numbers, budgets, failures, cancel from elsewhere."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock_time

import pytest

from pipelines.batch import jobs
from pipelines.clock import ScaledClock, parse_utc
from pipelines.batch.jobstore import JobStore
from pipelines import RunOptions
from pipelines.cost import load_meter, load_sheet
from pipelines.cost.sheets import cost_components
from pipelines.endpoints.usage import normalize_usage
from tests.pipelines.batch.conftest import (MODEL, custom_id_of, read_jsonl, transport_for,
                                            write_input)
from tests.pipelines.batch.test_timeline import utc
from tests.pipelines.fake_llm import FakeLLM

ENDPOINT = "http://fake/v1"


def options(fake: FakeLLM, start: str = "2025-03-01T12:00", speed: float = 1.0) -> RunOptions:
    return RunOptions(clock=ScaledClock(utc(start), speed), transport=transport_for(fake),
                      watch_s=0.05)


def in_window(at: datetime) -> bool:  # testsheet's 22:00-02:00 UTC window
    return at.time() >= clock_time(22) or at.time() < clock_time(2)


def test_report_numbers_are_the_sum_of_the_metered_calls(tmp_path, fake, sheet):
    store = tmp_path / "s"
    done = jobs.submit(write_input(tmp_path / "in.jsonl", 40),
                       options=options(fake).but(store=store, endpoint=ENDPOINT), api="concurrent",
                       pricing=str(sheet))
    assert done.outcome.state == "completed"
    written = jobs.results(done.job_id, tmp_path / "out.jsonl", store=store)
    outputs = read_jsonl(tmp_path / "out.jsonl")
    rows = {r["custom_id"]: r for r in JobStore(store).rows(done.job_id)}
    meter, rates = load_meter(str(sheet)), load_sheet(sheet).models[MODEL].periods[0].rates
    bill = standard = 0.0
    for line in outputs:
        usage = normalize_usage(line["response"]["body"]["usage"])
        started = parse_utc(rows[line["custom_id"]]["started_at"])
        bill += meter.price(endpoint=ENDPOINT, model=MODEL, usage=usage, started_at=started).usd
        standard += sum(cost_components(rates, usage).values())
    total = written["report"]["total"]
    assert total["requests"] == 40 and bill > 0
    assert total["cost_usd"] == pytest.approx(bill, rel=1e-12)
    assert total["standard_usd"] == pytest.approx(standard, rel=1e-12)
    assert written["report"]["tiers"]["standard"]["cost_usd"] == pytest.approx(bill, rel=1e-12)
    assert sorted(o["custom_id"] for o in outputs) == [f"req-{i:05d}" for i in range(40)]
    assert outputs[0]["response"]["body"]["choices"][0]["message"]["content"] == \
        fake.reply(fake.requests[[custom_id_of(b) for b in fake.requests].index("req-00000")])


def test_off_peak_job_pauses_at_the_window_end_and_finishes_in_the_next(tmp_path, sheet):
    """10 job-hours per real second: the 22:00-02:00 window lasts 0.4 s, the day between 2 s."""
    fake = FakeLLM(delay=lambda body: 0.01)
    store = tmp_path / "s"
    opts = options(fake, "2025-03-01T21:30", 36000).but(store=store, endpoint=ENDPOINT,
                                                        concurrency=2)
    done = jobs.submit(write_input(tmp_path / "in.jsonl", 150), options=opts, window="off-peak",
                       api="concurrent", pricing=str(sheet), throughput_tok_s=1.0)
    assert done.outcome.state == "completed"
    rows = JobStore(store).rows(done.job_id)
    starts = [parse_utc(r["started_at"]) for r in rows]
    assert all(in_window(t) for t in starts), [t for t in starts if not in_window(t)]
    nights = Counter((t - timedelta(hours=12)).date() for t in starts)
    assert len(nights) >= 2, nights  # paused at 02:00, went on at 22:00 the next night
    assert {r["tier"] for r in rows} == {"off-peak"}
    assert Counter(custom_id_of(b) for b in fake.requests) == Counter(r["custom_id"] for r in rows)
    report = jobs.results(done.job_id, tmp_path / "o.jsonl", store=store)["report"]["total"]
    assert report["saving_pct"] == pytest.approx(50.0)


def test_deadline_job_runs_in_the_cheapest_window(tmp_path, fake, sheet):
    store = tmp_path / "s"
    opts = options(fake, "2025-03-01T20:00", 36000).but(store=store, endpoint=ENDPOINT)
    done = jobs.submit(write_input(tmp_path / "in.jsonl", 20), options=opts,
                       deadline=utc("2025-03-02T12:00"), api="concurrent", pricing=str(sheet),
                       throughput_tok_s=1.0)
    status = jobs.status(done.job_id, store=store)[0]
    assert [w["tier"] for w in status["plan"]["windows"]] == ["off-peak"]
    assert status["plan"]["windows"][0]["start"].startswith("2025-03-01T22:00")
    assert status["tiers"].keys() == {"off-peak"} and status["counts"]["done"] == 20


def test_max_cost_stops_sending_then_resume_finishes_without_rebilling(tmp_path, sheet):
    fake = FakeLLM()
    store = tmp_path / "s"
    done = jobs.submit(write_input(tmp_path / "in.jsonl", 100),
                       options=options(fake).but(store=store, endpoint=ENDPOINT, max_cost=0.001,
                                                 concurrency=4), api="concurrent", pricing=str(sheet))
    assert (done.outcome.state, done.outcome.exit_code) == ("budget", 3)
    first = jobs.status(done.job_id, store=store)[0]
    assert 0 < first["counts"]["done"] < 100 and first["spent_usd"] <= 0.001
    assert "higher --max-cost" in first["note"]
    again = jobs.resume(done.job_id, options=options(fake).but(store=store, max_cost=1.0))
    assert (again.state, again.counts["done"]) == ("completed", 100)
    assert set(Counter(custom_id_of(b) for b in fake.requests).values()) == {1}


def test_failed_requests_go_to_the_error_file_and_transient_ones_retry_on_resume(tmp_path, sheet):
    broken = {"req-00003": 400, "req-00005": 503}
    fake = FakeLLM(fail=lambda body: broken.get(custom_id_of(body)))
    store = tmp_path / "s"
    endpoint = {"url": ENDPOINT, "max_retries": 0}
    done = jobs.submit(write_input(tmp_path / "in.jsonl", 8),
                       options=options(fake).but(store=store, endpoint=endpoint), api="concurrent",
                       pricing=str(sheet))
    assert (done.outcome.state, done.outcome.exit_code) == ("completed", 1)
    jobs.results(done.job_id, tmp_path / "out.jsonl", store=store)
    errors = {e["custom_id"]: e for e in read_jsonl(tmp_path / "out.errors.jsonl")}
    assert errors["req-00003"]["response"]["status_code"] == 400
    assert errors["req-00003"]["error"]["code"] == "invalid_request"
    assert errors["req-00005"]["error"]["code"] == "server_error"
    assert len(read_jsonl(tmp_path / "out.jsonl")) == 6
    del broken["req-00005"]
    again = jobs.resume(done.job_id, options=options(fake).but(store=store))
    assert again.counts == {"pending": 0, "done": 7, "failed": 1, "rejected": 0}
    assert Counter(custom_id_of(b) for b in fake.requests)["req-00005"] == 2


def test_cancel_from_another_thread_stops_sending_and_keeps_what_is_done(tmp_path, sheet):
    fake = FakeLLM(delay=lambda body: 0.01)
    store = tmp_path / "s"
    submitted: dict = {}

    def run() -> None:
        opts = options(fake).but(store=store, endpoint=ENDPOINT, concurrency=2)
        submitted["job"] = jobs.submit(write_input(tmp_path / "in.jsonl", 400), options=opts,
                                       api="concurrent", pricing=str(sheet))

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = jobs.status(store=store)
        if found and found[0]["counts"]["done"] >= 20:
            break
        time.sleep(0.01)
    watched = jobs.status(found[0]["job_id"], store=store)[0]
    assert watched["state"] == "running" and watched["spent_usd"] > 0
    assert jobs.cancel(watched["job_id"], store=store) == "cancelling"
    worker.join(20)
    outcome = submitted["job"].outcome
    assert outcome.state == "cancelled" and 0 < outcome.counts["pending"] < 380
    jobs.results(outcome.job_id, tmp_path / "out.jsonl", store=store)
    outputs = [o["custom_id"] for o in read_jsonl(tmp_path / "out.jsonl")]
    errors = read_jsonl(tmp_path / "out.errors.jsonl")
    assert {e["error"]["code"] for e in errors} == {"batch_cancelled"}
    assert sorted(outputs + [e["custom_id"] for e in errors]) == [f"req-{i:05d}" for i in range(400)]
    assert len(fake.requests) == len(outputs)
