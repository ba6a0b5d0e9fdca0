"""`pipe batch` commands: exit codes, what they print, --detach, watching from elsewhere."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from pipelines.batch.cli import batch
from pipelines.batch.jobstore import JobStore
from tests.pipelines.batch.conftest import read_jsonl, request_line, write_input
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def endpoint():
    fake = FakeLLM()
    with serve(fake.app) as url:
        yield url


def invoke(*args: str):
    return CliRunner().invoke(batch, [str(a) for a in args], catch_exceptions=False)


def test_submit_status_results_cancel_resume(tmp_path, endpoint, sheet):
    store = tmp_path / "s"
    source = write_input(tmp_path / "in.jsonl", 12)
    done = invoke("submit", source, "--endpoint", endpoint, "--api", "concurrent", "--pricing",
                  sheet, "--store", store, "--json")
    assert done.exit_code == 0, done.output
    job = json.loads(done.output)
    assert job["state"] == "completed" and job["counts"]["done"] == 12

    listed = invoke("status", "--store", store)
    assert job["job_id"] in listed.output and "completed" in listed.output
    assert "12/12 done" in listed.output and "[concurrent]" in listed.output
    one = invoke("status", job["job_id"], "--store", store)
    assert "plan: run now" in one.output and "expected bill $" in one.output
    as_json = json.loads(invoke("status", job["job_id"], "--store", store, "--json").output)
    assert as_json["counts"]["done"] == 12 and as_json["plan"]["kind"] == "now"

    out = tmp_path / "res" / "out.jsonl"
    shown = invoke("results", job["job_id"], "--out", out, "--store", store)
    assert shown.exit_code == 0 and f"12 lines -> {out}" in shown.output
    assert "saving vs running at once at standard prices" in shown.output
    assert len(read_jsonl(out)) == 12 and read_jsonl(out.with_name("out.errors.jsonl")) == []

    assert invoke("cancel", job["job_id"], "--store", store).output.strip().endswith("completed")
    again = invoke("resume", job["job_id"], "--store", store)
    assert again.exit_code == 2 and "nothing to resume" in again.output


def test_bad_input_exits_2_and_stores_nothing(tmp_path, endpoint):
    store = tmp_path / "s"
    source = tmp_path / "in.jsonl"
    source.write_text(request_line("a") + "\n" + request_line("a") + "\n")
    dup = invoke("submit", source, "--endpoint", endpoint, "--store", store)
    assert dup.exit_code == 2 and "custom_id 'a' on lines 1, 2" in dup.output
    both = invoke("submit", source, "--now", "--window", "off-peak", "--store", store)
    assert both.exit_code == 2 and "cannot be combined" in both.output
    bad_time = invoke("submit", source, "--deadline", "tomorrow", "--store", store)
    assert bad_time.exit_code == 2 and "ISO 8601" in bad_time.output
    unknown = invoke("status", "batch_nope", "--store", store)
    assert unknown.exit_code == 2 and "no batch job 'batch_nope'" in unknown.output
    assert JobStore(store).jobs() == []


def test_off_peak_on_an_endpoint_without_windows_is_refused(tmp_path, endpoint):
    source = write_input(tmp_path / "in.jsonl", 2, model="deepseek-chat")
    refused = invoke("submit", source, "--endpoint", endpoint, "--window", "off-peak",
                     "--store", tmp_path / "s")
    assert refused.exit_code == 2 and "no off-peak window" in refused.output


def test_detach_runs_in_the_background_and_is_watched_from_here(tmp_path, sheet):
    store = tmp_path / "s"
    source = write_input(tmp_path / "in.jsonl", 60)
    with serve(FakeLLM(delay=lambda body: 0.03).app) as slow:
        started = invoke("submit", source, "--endpoint", slow, "--api", "concurrent",
                         "--concurrency", "2", "--pricing", sheet, "--detach", "--store", store,
                         "--json")
        assert started.exit_code == 0, started.output
        job_id = json.loads(started.output)["job_id"]
        seen, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:
            state = json.loads(invoke("status", job_id, "--store", store, "--json").output)
            seen.append((state["state"], state["counts"]["done"]))
            if state["state"] == "completed":
                break
            time.sleep(0.05)
    assert state["counts"]["done"] == 60
    assert any(s == "running" and 0 < done < 60 for s, done in seen), seen  # watched live
    log = (store / "batch-logs" / f"{job_id}.log").read_text()
    assert f"{job_id}: completed (60 done" in log


def test_the_embedded_endpoint_runs_both_paths_in_process(tmp_path):
    """Zero setup: `--endpoint embedded` (the shipped model, no port) has a Batch API, so auto
    picks it; --api concurrent sends the same requests one by one through the engine."""
    store = tmp_path / "s"
    source = tmp_path / "in.jsonl"
    source.write_text("".join(request_line(f"r{i}", "moe-tiny", max_tokens=4) + "\n"
                              for i in range(4)))
    # requests sent one by one are priced by the hour: embedded-cpu's off-peak window is 22:00-06:00 UTC
    window = yaml.safe_load((ROOT / "recipes/cost/profiles/embedded-cpu.yaml").read_text())["off_peak"]
    now = datetime.now(timezone.utc).strftime("%H:%M")
    hourly = "off-peak" if now >= window["start"] or now < window["end"] else "standard"
    for kind, tier in (("auto", "batch"), ("concurrent", hourly)):
        done = invoke("submit", source, "--endpoint", "embedded", "--api", kind, "--store", store,
                      "--json")
        assert done.exit_code == 0, done.output
        job = json.loads(invoke("status", json.loads(done.output)["job_id"], "--store", store,
                                "--json").output)
        assert job["counts"]["done"] == 4 and list(job["tiers"]) == [tier]
        assert job["spent_usd"] > 0  # the shipped embedded sheet prices moe-tiny
