"""A killed run shows as `interrupted`; its resume counts every reused call as `resumed`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from pipelines.storage.run_store import RunStore
from tests.pipelines.cli.conftest import ROOT, pipe
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

RSA = ROOT / "tests" / "pipelines" / "recipes" / "rsa.yaml"
TOTAL = 2 * (4 + 3 * 4)  # items x (N solve + (T-1) x N aggregate), N=4 T=4


def start(url: str, store) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipelines.cli", "run", str(RSA),
                             "--endpoint", url, "-p", "N=4", "-p", "T=4", "--no-cache",
                             "--plain", "--store", str(store), "--concurrency", "2"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_ctrl_c_default)


def _ctrl_c_default() -> None:
    """A suite started in the background (`.ci/run &` from a script) runs with SIGINT ignored,
    and children inherit that: the Ctrl-C test would see its SIGINT dropped and the run finish."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(fake: FakeLLM, requests: int) -> None:
    deadline = time.monotonic() + 60
    while len(fake.requests) < requests and time.monotonic() < deadline:
        time.sleep(0.01)


def test_kill_9_shows_interrupted_and_resume_counts_reused_calls(tmp_path):
    fake = FakeLLM(delay=lambda body: 0.08)
    store = tmp_path / "store"
    with serve(fake.app) as url:
        proc = start(url, store)
        wait_for(fake, 14)  # past the 8 solve calls: some node outputs are stored
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        listed = json.loads(pipe("runs", "--store", str(store), "--status", "interrupted",
                                 "--json").stdout)
        assert [r["status"] for r in listed] == ["interrupted"]
        run_id = listed[0]["run_id"]
        text = pipe("runs", "--store", str(store)).stdout
        assert f"{run_id}  interrupted" in text
        reused = sum(1 for c in RunStore(store).calls(run_id) if c.status == "ok")
        assert 0 < reused < TOTAL

        out = pipe("run", "--resume", run_id, "--endpoint", url, "--no-cache", "--json",
                   "--store", str(store))
    summary = json.loads(out.stdout)
    assert out.returncode == 0, out.stderr
    assert summary["resumed_calls"] == reused
    assert summary["calls"] == TOTAL - reused
    assert json.loads(pipe("runs", "--store", str(store), "--json").stdout)[0]["status"] == "ok"


def test_ctrl_c_stores_the_run_as_interrupted_and_says_how_to_resume(tmp_path):
    fake = FakeLLM(delay=lambda body: 0.08)
    store = tmp_path / "store"
    with serve(fake.app) as url:
        proc = start(url, store)
        wait_for(fake, 6)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "continue with `pipe run --resume RUN_ID`" in err
    stored = RunStore(store).db.execute("SELECT status FROM runs").fetchall()
    assert [r["status"] for r in stored] == ["interrupted"]  # written, not only inferred
