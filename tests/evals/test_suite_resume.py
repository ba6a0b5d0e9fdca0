"""kill -9 a real `pipe eval` mid-suite, resume it: every cell keeps one run, no call repeats.

The kill must land inside the second cell whatever the machine's load. The server answers the
first ANSWERED requests and holds every later one until the test lets go, so the suite cannot
finish that cell before the kill, and the test waits for the suite to reach the hold, not for a
number of seconds. (It used to poll for a request count under a 60 s deadline: the subprocess's
startup and calls took 2.5 s idle and 12 s with 4 busy processes on 2 cores, so under heavier
load the deadline passed; and between the count and the kill only 9 requests were left, so a
slow test process could also miss the cell. A suite that died early was waited on for the whole
60 s.)
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from starlette.requests import Request

from pipelines.storage import RunStore
from tests.evals.fake_solver import solver_reply
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

ROOT = Path(__file__).resolve().parents[2]
ANSWERED = 18 + 10
"""The first cell makes 3 x 2 x 3 = 18 calls; the second (3 x 4 x 3 = 36) is held after 10."""
HANG_GUARD_S = 300
"""Only a suite that stops making progress altogether waits this long (it is not a speed bound:
the wait ends as soon as the suite reaches the hold, or exits)."""


class HoldingLLM(FakeLLM):
    """Answers the first `answered` requests; holds later ones until `release` is set."""

    def __init__(self, answered: int, **kwargs):
        super().__init__(**kwargs)
        self.answered, self.arrived, self.held = answered, 0, 0
        self.release = threading.Event()

    async def chat(self, request: Request):
        self.arrived += 1  # counted before any await: two requests never share a number
        if self.arrived > self.answered and not self.release.is_set():
            self.held += 1
            while not self.release.is_set():
                await asyncio.sleep(0.01)
            self.held -= 1
        return await super().chat(request)


def wait_for_hold(proc: subprocess.Popen, fake: HoldingLLM, errors: Path) -> None:
    """Until the suite has a request held (and the answered ones are recorded); fails at once
    with its stderr if it exits first."""
    deadline = time.monotonic() + HANG_GUARD_S
    while fake.held == 0 or len(fake.requests) < fake.answered:
        assert proc.poll() is None, f"pipe eval exited {proc.returncode} before the kill:\n" \
                                    f"{errors.read_text()}"
        assert time.monotonic() < deadline, f"no progress in {HANG_GUARD_S} s"
        time.sleep(0.01)


def pipe_eval(*args: str) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "eval", *args]


def test_kill_9_mid_suite_then_resume(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text(f"""\
name: killed
datasets: {{qa: {{source: {ROOT / 'evals' / 'data' / 'smoke.jsonl'}}}}}
recipes: {{rsa: {ROOT / 'recipes' / 'rsa_math.yaml'}}}
grid: {{N: [2, 4], K: [2], T: [3]}}
""")
    fake = HoldingLLM(ANSWERED, reply=solver_reply, delay=lambda body: 0.05)
    store = tmp_path / "store"
    common = ["--plain", "--store", str(store), "--concurrency", "2"]
    errors = tmp_path / "stderr.txt"
    with serve(fake.app) as url:
        with open(errors, "w") as stderr:
            proc = subprocess.Popen(pipe_eval(str(suite), "--endpoint", url, *common), cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=stderr)
            wait_for_hold(proc, fake, errors)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        (folder,) = (store / "evals").iterdir()
        manifest = json.loads((folder / "suite.json").read_text())
        cells = manifest["cells"]
        assert cells["rsa | N=2 K=2 T=3 | qa"]["status"] == "ok"
        assert "run_id" not in cells["rsa | N=4 K=2 T=3 | qa"]  # killed before its id was saved
        first = cells["rsa | N=2 K=2 T=3 | qa"]["run_id"]
        (killed,) = [r["run_id"] for r in RunStore(store).runs() if r["run_id"] != first]
        done_before = {c.call_key for c in RunStore(store).calls(killed) if c.status == "ok"}
        assert done_before
        sent_before = {(b["messages"][-1]["content"], b["seed"]) for b in fake.requests}
        count_before = len(fake.requests)
        assert count_before == ANSWERED
        fake.release.set()  # the held requests of the dead process end; the resume is answered

        resumed = subprocess.run(pipe_eval("--resume", folder.name, "--endpoint", url, *common),
                                 cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr

    runs = RunStore(store).runs()
    assert len(runs) == 2 and {r["status"] for r in runs} == {"ok"}  # the killed run was resumed
    after = [c.call_key for c in RunStore(store).calls(killed) if c.status == "ok"]
    assert len(after) == len(set(after)) == 3 * (4 + 2 * 4) and done_before <= set(after)
    resent = [(b["messages"][-1]["content"], b["seed"]) for b in fake.requests[count_before:]]
    assert len([r for r in resent if r in sent_before]) <= 2  # only the calls in flight at the kill
    assert "| rsa | N=4 K=2 T=3 | qa |" in resumed.stdout
