"""`--max-cost` with a real meter (a price sheet, ~$1 per call): it holds across `--resume`,
including after kill -9 with calls in flight, and refuses a model it cannot price."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

import pipelines
from pipelines import RunOptions
from pipelines.storage.run_store import RunStore
from tests.pipelines.execution.budget_recipe import per_call_usd, priced_fake, write_recipe
from tests.pipelines.live_server import serve

ROOT = Path(__file__).resolve().parents[3]
URL = "http://fake.test/v1"


def run_api(fake, recipe: Path, store: Path, **kw) -> pipelines.RunResult:
    return pipelines.run(recipe if "resume" not in kw else None, kw.pop("params", {}),
                         RunOptions(endpoint=URL, store=store, cache=False,
                                    transport=httpx.ASGITransport(app=fake.app), **kw))


def answered(fake) -> int:
    """Requests the fake finished: what a provider would bill."""
    return sum(1 for _, event, _ in fake.log if event == "end")


def test_resume_counts_what_the_run_spent_before(tmp_path):
    recipe, fake = write_recipe(tmp_path / "r"), priced_fake()
    first = run_api(fake, recipe, tmp_path / "s", max_cost=4.50)
    # worst case per call is $1.008 (80 bounded prompt tokens, 50 output): 4 fit in $4.50
    assert first.exit_code == 3 and first.status == "budget"
    assert len(fake.requests) == 4
    spent = pipelines.show(first.run_id, tmp_path / "s")["total_usd"]
    assert spent == pytest.approx(4 * per_call_usd()) == pytest.approx(4.0012)
    for _ in range(3):  # the run's own budget is kept on resume: nothing more can fit
        again = run_api(fake, recipe, tmp_path / "s", resume=first.run_id)
        assert again.exit_code == 3
    assert len(fake.requests) == 4
    assert pipelines.show(first.run_id, tmp_path / "s")["total_usd"] == pytest.approx(4.0012)
    # a higher budget on resume lets exactly what fits run: $6.10 leaves room for 2 more
    more = run_api(fake, recipe, tmp_path / "s", resume=first.run_id, max_cost=6.10)
    assert more.exit_code == 3 and len(fake.requests) == 6
    assert pipelines.show(first.run_id, tmp_path / "s")["total_usd"] == pytest.approx(6 * 1.0003)


def pipe_run(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "run", *args]


@pytest.mark.slow
def test_kill_9_with_calls_in_flight_then_resume_never_passes_the_budget(tmp_path):
    """Calls sent but not recorded when the process dies may have been billed: a resume
    counts them at their worst case, so the provider's bill stays within --max-cost."""
    recipe, fake = write_recipe(tmp_path / "r"), priced_fake(delay=lambda body: 0.4)
    store, budget = tmp_path / "s", 6.50
    common = ["--no-cache", "--plain", "--store", str(store), "--concurrency", "2"]
    with serve(fake.app) as url:
        # a request per sample, as the derivation below counts (an n-request is one call)
        recipe.write_text(recipe.read_text() + f"endpoint: {{url: '{url}', n_requests: separate}}\n")
        proc = subprocess.Popen(pipe_run(str(recipe), "-p", "n=12",
                                         "--max-cost", str(budget), *common),
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while (answered(fake) < 2 or len(fake.requests) < 4) and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        run_id = RunStore(store).runs()[0]["run_id"]
        resumed = subprocess.run(pipe_run("--resume", run_id, *common),
                                 cwd=ROOT, capture_output=True, text=True, timeout=120)
        time.sleep(0.6)  # let calls the killed process left in flight finish on the server
    assert resumed.returncode == 3, resumed.stderr
    billed = answered(fake) * per_call_usd()
    overspend = max(0.0, billed - budget)
    print(f"\nbudget ${budget:.2f}: the endpoint answered {answered(fake)} calls = "
          f"${billed:.4f}; overspend ${overspend:.4f}")
    assert overspend == 0.0
    # The first attempt reserved 6 calls ($6.048 of $6.50): 2 recorded, 2 answered after the
    # kill, 2 never sent. The resume counts the 4 unrecorded ones at their worst case
    # ($2.0006 + 4 x $1.008 = $6.0326), so no 7th call fits: 4 calls billed in all.
    assert answered(fake) == 4
    recorded = pipelines.show(run_id, store)["total_usd"]
    assert recorded <= 2 * per_call_usd() + 1e-9
    assert RunStore(store).spent(run_id) == pytest.approx(
        recorded + (6 - round(recorded / per_call_usd())) * 1.008)


def test_unknown_price_under_max_cost_refuses_to_start_unless_allowed(tmp_path):
    recipe, fake = write_recipe(tmp_path / "r"), priced_fake()
    store = tmp_path / "s"
    with pytest.raises(pipelines.InputError) as refused:
        run_api(fake, recipe, store, model="unpriced-model", max_cost=0.000001)
    message = str(refused.value)
    assert "no price known for model 'unpriced-model'" in message
    assert "pricing: FILE" in message and "--pricing" in message
    assert "--allow-unpriced" in message
    assert fake.requests == [] and not (store / "runs.sqlite").exists()

    allowed = run_api(fake, recipe, store, model="unpriced-model", max_cost=0.000001,
                      allow_unpriced=True)
    assert allowed.exit_code == 0 and len(fake.requests) == 8
    report = pipelines.show(allowed.run_id, store)
    assert report["unknown_cost_calls"] == 8 and report["total_usd"] == 0.0


def test_cli_refuses_an_unpriced_budget_with_exit_2(tmp_path):
    recipe = write_recipe(tmp_path / "r")
    out = subprocess.run(pipe_run(str(recipe), "--model", "unpriced-model", "--max-cost", "1",
                                  "--endpoint", "http://127.0.0.1:9/v1", "--store",
                                  str(tmp_path / "s")),
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert out.stderr.startswith("error: --max-cost $1: no price known for model "
                                 "'unpriced-model'")
    assert not (tmp_path / "s").exists()
