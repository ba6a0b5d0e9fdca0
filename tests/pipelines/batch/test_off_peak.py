"""`pipe batch submit requests.jsonl --window off-peak` (the README's command) works out of the
box: on the embedded endpoint and on any URL whose model a deployment profile prices, the job
waits for the profile's off-peak window and runs at its bulk tier. The clock is the only fake:
it starts two minutes before 22:00 UTC (the embedded profile's window) and runs 30x fast."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from pipelines.batch.jobstore import JobStore
from pipelines.clock import ScaledClock, SystemClock
from pipelines.cli.main import main
from pipelines.cost import load_profile
from pipelines.cost.derive import profile_tiers, tier_rates
from pipelines.cost.profiles import PROFILES_DIR
from tests.pipelines.batch.conftest import write_input
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

PER_M = 0.045 * 2 / 3600 * 1e6  # embedded-cpu: $ per 1M CPU-seconds of the 2-core server = 25
BEFORE_WINDOW = datetime(2026, 12, 2, 21, 58, tzinfo=timezone.utc)


@pytest.fixture
def evening(monkeypatch):
    """The system clock, two minutes before 22:00 UTC, 30x faster than real time."""
    clock = ScaledClock(BEFORE_WINDOW, speed=30)
    monkeypatch.setattr(SystemClock, "now", lambda self: clock.now())
    monkeypatch.setattr(SystemClock, "wait_until",
                        lambda self, when, max_real_s: clock.wait_until(when, max_real_s))
    return clock


@pytest.fixture
def url():
    with serve(FakeLLM().app) as base:
        yield base


def pipe(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def bulk_usd(row: dict, output_tok_s: float) -> float:
    """The embedded-cpu profile's price of a recorded request, by hand: prefill 11,793 tok/s,
    cache hits 195,797 tok/s, output at `output_tok_s` (bulk: batch 64 at 9,541)."""
    miss = row["prompt_tokens"] - row["cached_tokens"]
    return (miss * PER_M / 11793 + row["cached_tokens"] * PER_M / 195797
            + row["completion_tokens"] * PER_M / output_tok_s) / 1e6


def job_rows(store: str) -> list[dict]:
    jobs = JobStore(store)
    try:
        (job,) = jobs.jobs()
        return jobs.rows(job["job_id"])
    finally:
        jobs.close()


def test_the_readme_command_on_the_embedded_endpoint(tmp_path, monkeypatch, evening):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)  # the default endpoint: embedded
    write_input(tmp_path / "requests.jsonl", 3, model="moe-tiny", max_tokens=8)
    done = pipe("batch", "submit", "requests.jsonl", "--window", "off-peak")
    assert done.exit_code == 0, done.output
    assert "plan: off-peak windows only" in done.output
    assert "waiting 0 h 02 min for the first window\n  (2026-12-02 22:00 UTC)" in done.output
    assert "completed (3 done, 0 failed, 0 pending, 0 rejected)" in done.output
    rows = job_rows(".pipe")
    assert len(rows) == 3
    for row in rows:
        assert row["started_at"] >= "2026-12-02T22:00"  # nothing ran before the window
        assert (row["tier"], row["price_source"]) == ("off-peak", "profile:embedded-cpu-v2")
        assert 0 < row["completion_tokens"] <= 8
        assert row["cost_usd"] == pytest.approx(bulk_usd(row, 9541), rel=1e-9)
        # the saving is against the standard tier: batch 8 at 4,032 tok/s
        assert row["standard_usd"] == pytest.approx(bulk_usd(row, 4032), rel=1e-9)
        assert row["cost_usd"] < row["standard_usd"]


def test_a_url_serving_moe_tiny_gets_the_same_window_and_prices(tmp_path, url, evening):
    source = write_input(tmp_path / "requests.jsonl", 4, model="moe-tiny")
    store = str(tmp_path / "s")
    done = pipe("batch", "submit", str(source), "--window", "off-peak", "--endpoint", url,
                "--store", store)
    assert done.exit_code == 0, done.output
    rows = job_rows(store)
    assert [r["tier"] for r in rows] == ["off-peak"] * 4
    for row in rows:
        assert row["price_source"] == "profile:embedded-cpu-v2"
        assert row["cost_usd"] == pytest.approx(bulk_usd(row, 9541), rel=1e-9)


def test_any_profile_priced_model_and_pricing_by_name(tmp_path, url, evening):
    # qwen3-30b-a3b is known to profiles/qwen3-30b-a3b-h100.yaml (window 22:00-06:00 UTC);
    # --pricing embedded-cpu makes a model no sheet knows a profile-priced one
    bulk = tier_rates(profile_tiers(load_profile(PROFILES_DIR / "qwen3-30b-a3b-h100.yaml")).bulk)
    for model, pricing, source in (("Qwen/Qwen3-30B-A3B", [], "profile:qwen3-30b-a3b-h100-v2"),
                                   ("my-finetune", ["--pricing", "embedded-cpu"],
                                    "profile:embedded-cpu-v2")):
        store = str(tmp_path / model.replace("/", "_"))
        source_file = write_input(tmp_path / f"{model.replace('/', '_')}.jsonl", 2, model=model)
        done = pipe("batch", "submit", str(source_file), "--window", "off-peak", "--endpoint",
                    url, "--store", store, *pricing)
        assert done.exit_code == 0, done.output
        for row in job_rows(store):
            assert (row["tier"], row["price_source"]) == ("off-peak", source)
            if model == "my-finetune":
                assert row["cost_usd"] == pytest.approx(bulk_usd(row, 9541), rel=1e-9)
            else:
                assert row["cost_usd"] == pytest.approx(
                    (row["prompt_tokens"] * bulk.input_miss
                     + row["completion_tokens"] * bulk.output) / 1e6, rel=1e-9)


def test_historical_sheet_refuses_and_names_the_ones_with_windows(tmp_path, url, evening):
    source = write_input(tmp_path / "requests.jsonl", 2, model="deepseek-chat")
    done = pipe("batch", "submit", str(source), "--window", "off-peak", "--endpoint", url,
                "--store", str(tmp_path / "s"))
    assert done.exit_code == 2
    said = " ".join(done.output.split())
    assert "priced by sheet deepseek (version 2025-10-01), whose off-peak window ended on " \
           "2025-09-05" in said
    assert "profile embedded-cpu (moe-tiny, 22:00-06:00 UTC)" in said
    assert "fix: --pricing PROFILE" in said
    assert not (tmp_path / "s" / "batch.sqlite").exists() or JobStore(tmp_path / "s").jobs() == []
