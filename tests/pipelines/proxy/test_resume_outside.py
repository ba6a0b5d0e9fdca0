"""A run the proxy started, stopped part way, finished by `pipe run --resume` (no proxy): on the
request's own question and upstream, repeating no call."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import openai
import pytest

import pipelines
from pipelines import RunOptions
from pipelines.proxy.runner import item_id
from pipelines.storage import RunStore
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.proxy.conftest import ask, sums

ROOT = Path(__file__).resolve().parents[3]


def questions(fake: FakeLLM) -> set[str]:
    return {b["messages"][-1]["content"].splitlines()[0] for b in fake.requests}


def test_pipelines_run_resumes_a_proxy_run_stopped_by_its_budget(proxy_for):
    proxy = proxy_for(FakeLLM(reply=sums))
    with pytest.raises(openai.APIStatusError) as err:  # 4 of 6 calls fit in $4.50
        proxy.client().chat.completions.create(model="rsa_test", messages=ask("What is 5+6?"),
                                               extra_body={"pipe": {"max_cost": 4.5}})
    run_id = err.value.response.json()["pipe"]["run_id"]
    assert len(proxy.fake.requests) == 4

    # no recipe, no endpoint, no dataset given: all of them come from the stored run
    result = pipelines.run(None, options=RunOptions(resume=run_id, store=proxy.store,
                                                    max_cost=20.0))
    assert result.run_id == run_id and result.status == "ok"
    items = list(result.items)
    assert [(i["item_id"], i["outputs"]["answer"]) for i in items] == [(item_id("What is 5+6?"),
                                                                       "11")]
    assert len(proxy.fake.requests) == 6, "the 4 calls made before the stop were not repeated"
    assert questions(proxy.fake) == {"Solve: What is 5+6?", "Improve: What is 5+6?"}
    store = RunStore(proxy.store)
    try:
        keys = [c.call_key for c in store.calls(run_id) if c.status == "ok"]
    finally:
        store.close()
    assert len(keys) == len(set(keys)) == 6


def test_pipe_run_resume_finishes_a_proxy_run_whose_client_left(proxy_for):
    proxy = proxy_for(FakeLLM(reply=sums, delay=lambda body: 0.3))
    with httpx.Client(timeout=10) as http:
        with http.stream("POST", proxy.url + "/chat/completions", json={
                "model": "rsa_test", "messages": ask("What is 8+1?"), "stream": True}) as sent:
            first = next(sent.iter_lines())
    run_id = first.split('"run_id": "')[1].split('"')[0]
    deadline = time.monotonic() + 5
    while pipelines.show(run_id, proxy.store)["run"]["status"] == "running":
        assert time.monotonic() < deadline, "the run kept going after its client left"
        time.sleep(0.05)
    sent_before = len(proxy.fake.requests)
    done_before = [c for c in RunStore(proxy.store).calls(run_id) if c.status == "ok"]
    assert len(done_before) < 6

    done = subprocess.run([sys.executable, "-m", "pipelines.cli", "run", "--resume", run_id,
                           "--store", str(proxy.store), "--plain"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = pipelines.show(run_id, proxy.store)
    assert report["run"]["status"] == "ok"
    assert [(i["item_id"], i["outputs"]["answer"]) for i in report["items"]] == [
        (item_id("What is 8+1?"), "9")]
    assert questions(proxy.fake) == {"Solve: What is 8+1?", "Improve: What is 8+1?"}
    ok = [c for c in RunStore(proxy.store).calls(run_id) if c.status == "ok"]
    assert len(ok) == len({c.call_key for c in ok}) == 6
    # the calls the left run finished were not sent again
    assert len(proxy.fake.requests) - sent_before == 6 - len(done_before)
