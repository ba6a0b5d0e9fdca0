"""kill -9 a real `pipe batch submit` process mid-job against the embedded server, resume it,
and prove every custom_id is in the output exactly once and nothing recorded was sent (or
billed) again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from moe.server import create_app
from pipelines.batch.jobstore import JobStore
from tests.moe.engine.conftest import small_model
from tests.pipelines.batch.conftest import custom_id_of, read_jsonl, write_input
from tests.pipelines.live_server import serve

ROOT = Path(__file__).resolve().parents[3]
TOTAL, CONCURRENCY = 1000, 16
MODEL = "moe-tiny"
SHEET = """\
name: tiny
version: "1"
models:
  moe-tiny:
    periods:
      - from: "2025-01-01T00:00:00Z"
        rates: {input_miss: 1.0, input_hit: 0.1, output: 2.0}
"""


class Recorder:
    """ASGI middleware: the chat requests the server was sent, by their prompt (which names
    the custom_id), before the app sees them."""

    def __init__(self, app):
        self.app, self.requests = app, []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] != "/v1/chat/completions":
            return await self.app(scope, receive, send)
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        self.requests.append(json.loads(body))
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)


def batch_cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.batch.cli", *args]


def done_rows(store: Path) -> dict[str, dict]:
    jobs = JobStore(store)
    try:
        found = jobs.jobs()
        if not found:
            return {}
        return {r["custom_id"]: r for r in jobs.rows(found[0]["job_id"]) if r["state"] == "done"}
    finally:
        jobs.close()


@pytest.mark.slow
def test_kill_9_mid_job_then_resume_outputs_each_custom_id_once(tmp_path):
    fake = Recorder(create_app(small_model()))
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(SHEET)
    store = tmp_path / "store"
    source = write_input(tmp_path / "in.jsonl", TOTAL, model=MODEL, max_tokens=4)
    common = ["--store", str(store)]
    with serve(fake) as url:
        proc = subprocess.Popen(
            batch_cli("submit", str(source), "--endpoint", url, "--api", "concurrent", "--now",
                      "--pricing", str(sheet), "--concurrency", str(CONCURRENCY), *common),
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(fake.requests) < TOTAL // 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()

        before = done_rows(store)
        assert 0 < len(before) < TOTAL
        job_id = JobStore(store).jobs()[0]["job_id"]
        watched = subprocess.run(batch_cli("status", job_id, "--json", *common), cwd=ROOT,
                                 capture_output=True, text=True, timeout=60)
        assert json.loads(watched.stdout)["state"] == "interrupted"
        sent_before = len(fake.requests)

        resumed = subprocess.run(batch_cli("resume", job_id, *common), cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        results = subprocess.run(
            batch_cli("results", job_id, "--out", str(tmp_path / "out.jsonl"), "--json", *common),
            cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert results.returncode == 0, results.stderr

    outputs = read_jsonl(tmp_path / "out.jsonl")
    assert sorted(o["custom_id"] for o in outputs) == [f"req-{i:05d}" for i in range(TOTAL)]
    assert read_jsonl(tmp_path / "out.errors.jsonl") == []

    seen = Counter(custom_id_of(b) for b in fake.requests)
    assert all(seen[cid] == 1 for cid in before), "a recorded request was sent again"
    resent = [cid for cid, n in seen.items() if n > 1]
    # only requests in flight at the kill (never recorded) can have reached the server twice
    assert len(resent) <= CONCURRENCY and max(seen.values()) <= 2
    assert not set(resent) & set(before)
    assert len(fake.requests) - sent_before == TOTAL - len(before)  # resume sent each pending once

    after = done_rows(store)
    assert len(after) == TOTAL
    for cid, row in before.items():  # billed once: the pre-kill rows are untouched
        assert (after[cid]["cost_usd"], after[cid]["started_at"]) == (row["cost_usd"],
                                                                      row["started_at"])
    report = json.loads(results.stdout)["report"]["total"]
    assert report["requests"] == TOTAL
    assert report["cost_usd"] == pytest.approx(sum(r["cost_usd"] for r in after.values()))
