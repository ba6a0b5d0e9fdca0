"""kill -9 a real `pipe run` subprocess mid-run, resume it, and prove no completed call repeats."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.storage.run_store import RunStore
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

ROOT = Path(__file__).resolve().parents[2]
RSA = ROOT / "tests" / "pipelines" / "recipes" / "rsa.yaml"


def pipe(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "run", *args]


def test_kill_9_then_resume_repeats_no_completed_call(tmp_path):
    fake = FakeLLM(delay=lambda body: 0.08)
    store = tmp_path / "store"
    common = ["--no-cache", "--plain", "--store", str(store), "--concurrency", "2"]
    with serve(fake.app) as url:
        proc = subprocess.Popen(pipe(str(RSA), "--endpoint", url, "-p", "N=4", "-p", "T=4", *common),
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while len(fake.requests) < 12 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL

        runs = RunStore(store).runs()
        assert len(runs) == 1 and runs[0]["status"] == "interrupted"  # its process is gone
        run_id = runs[0]["run_id"]
        done_before = [c for c in RunStore(store).calls(run_id) if c.status == "ok"]
        assert 0 < len(done_before) < 32
        sent_before = len(fake.requests)

        resumed = subprocess.run(pipe("--resume", run_id, "--endpoint", url, *common), cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr

    total = 2 * (4 + 3 * 4)  # items x (N solve + (T-1) x N aggregation calls)
    resent = fake.requests[sent_before:]
    assert len(resent) == total - len(done_before)
    done_keys = {c.call_key for c in done_before}
    after = RunStore(store).calls(run_id)
    ok_after = [c for c in after if c.status == "ok"]
    assert len(ok_after) == total
    assert len({c.call_key for c in ok_after}) == total
    assert done_keys <= {c.call_key for c in ok_after}
    final = RunStore(store).run(run_id)
    assert final["status"] == "ok" and final["exit_code"] == 0
    assert {i["status"] for i in RunStore(store).items(run_id)} == {"ok"}
