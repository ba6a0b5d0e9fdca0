"""kill -9 a real `pipe eval` mid-suite, resume it: every cell keeps one run, no call repeats."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.storage import RunStore
from tests.evals.fake_solver import solver_reply
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

ROOT = Path(__file__).resolve().parents[2]


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
    fake = FakeLLM(reply=solver_reply, delay=lambda body: 0.05)
    store = tmp_path / "store"
    common = ["--plain", "--store", str(store), "--concurrency", "2"]
    with serve(fake.app) as url:
        proc = subprocess.Popen(pipe_eval(str(suite), "--endpoint", url, *common), cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # the first cell makes 3 x 2 x 3 = 18 calls; kill inside the second (3 x 4 x 3 = 36)
        deadline = time.monotonic() + 60
        while len(fake.requests) < 18 + 10 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        (folder,) = (store / "evals").iterdir()
        manifest = json.loads((folder / "suite.json").read_text())
        cells = manifest["cells"]
        assert cells["rsa | N=2 K=2 T=3 | qa"]["status"] == "ok"
        assert "run_id" not in cells["rsa | N=4 K=2 T=3 | qa"]  # killed before its id was saved
        killed = next(r for r in RunStore(store).runs() if r["status"] == "running")["run_id"]
        done_before = {c.call_key for c in RunStore(store).calls(killed) if c.status == "ok"}
        assert done_before
        sent_before = {(b["messages"][-1]["content"], b["seed"]) for b in fake.requests}
        count_before = len(fake.requests)

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
