"""`pipe batch submit` stores a job in one transaction: `kill -9` at any moment leaves no job
or the whole job, never a job with some of its requests (which would later report
"completed" having lost the rest in silence)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pipelines.batch.conftest import write_input

ROOT = Path(__file__).resolve().parents[3]
REQUESTS, KILLS = 3000, 20
CLOSED_PORT_URL = "http://127.0.0.1:9/v1"
"""Nothing listens on port 9: a job that got stored and started fails to connect, sends nothing."""


def submit_cmd(source: Path, store: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines.batch.cli", "submit", str(source), "--store",
            str(store), "--endpoint", CLOSED_PORT_URL, "--api", "concurrent", "--now"]


def stored_jobs(store: Path) -> list[tuple[str, int, int]]:
    """(job id, requests it says it has, request rows actually stored) per job."""
    path = store / "batch.sqlite"
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
        if "jobs" not in tables:
            return []
        if "requests" not in tables:  # killed while the schema was being created
            return [(job_id, total, 0) for job_id, total in
                    db.execute("SELECT job_id, total FROM jobs").fetchall()]
        return db.execute("SELECT j.job_id, j.total, (SELECT COUNT(*) FROM requests r "
                          "WHERE r.job_id=j.job_id) FROM jobs j").fetchall()
    finally:
        db.close()


def kill_during_submit(source: Path, store: Path, delay_s: float) -> None:
    """Start a submit, wait until it opens the job store, wait `delay_s` more, kill -9."""
    proc = subprocess.Popen(submit_cmd(source, store), cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (store / "batch.sqlite").exists() and proc.poll() is None \
            and time.monotonic() < deadline:
        time.sleep(0.001)
    time.sleep(delay_s)
    assert proc.poll() is None, f"submit ended by itself: {proc.stderr.read().decode()}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    proc.stderr.close()


@pytest.mark.slow
def test_kill_9_at_random_moments_during_submit_leaves_no_partial_job(tmp_path):
    source = write_input(tmp_path / "in.jsonl", REQUESTS)
    rng = random.Random(14)
    outcomes = {"none": 0, "whole": 0, "partial": 0}
    for k in range(KILLS):
        store = tmp_path / f"store{k}"
        # half the kills close to the write itself, half anywhere in the first 250 ms
        kill_during_submit(source, store, rng.uniform(0.0, 0.03 if k % 2 else 0.25))
        jobs = stored_jobs(store)
        assert len(jobs) <= 1
        if not jobs:
            outcomes["none"] += 1
        elif jobs[0][1:] == (REQUESTS, REQUESTS):
            outcomes["whole"] += 1
        else:
            outcomes["partial"] += 1
    print(f"\n{KILLS} kills during submit: {outcomes}")
    assert outcomes["partial"] == 0, outcomes
    assert outcomes["none"] + outcomes["whole"] == KILLS
