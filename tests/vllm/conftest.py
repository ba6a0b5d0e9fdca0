"""One vLLM server (scripts/vllm-serve.sh, from .venv-vllm) and one `pipe serve` for the session.

vLLM starts in 2-3 minutes, so every test of this package shares it. Without .venv-vllm the
tests fail, naming scripts/setup-vllm.sh; PIPE_SKIP_VLLM=1 skips them explicitly, and
PIPE_VLLM_URL=http://127.0.0.1:P/v1 uses a server already started by scripts/vllm-serve.sh.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest

from tests.pipelines.live_server import free_port

ROOT = Path(__file__).resolve().parents[2]
VLLM_PYTHON = ROOT / ".venv-vllm" / "bin" / "python"
PIPE = Path(sys.executable).with_name("pipe")
VLLM_START_S = 600


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode} before answering {url}:\n"
                        f"{log.read_text(errors='replace')[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    pytest.fail(f"no answer from {url} within {timeout:.0f}s:\n{log.read_text(errors='replace')[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's own process group (vLLM runs an engine and a worker process)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def start_server(cmd: list[str], port: int, log: Path, timeout: float, env=None) -> subprocess.Popen:
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True, env=env)
    try:
        _wait_healthy(f"http://127.0.0.1:{port}/health", proc, log, timeout)
    except BaseException:
        _stop(proc)
        raise
    return proc


@pytest.fixture(scope="session")
def vllm_url(tmp_path_factory) -> Iterator[str]:
    """Base URL (…/v1) of vLLM serving the export of moe/weights as `moe-tiny`."""
    if os.environ.get("PIPE_SKIP_VLLM") == "1":
        pytest.skip("PIPE_SKIP_VLLM=1")
    if os.environ.get("PIPE_VLLM_URL"):  # a server already running scripts/vllm-serve.sh
        yield os.environ["PIPE_VLLM_URL"].rstrip("/")
        return
    if not VLLM_PYTHON.is_file():
        pytest.fail(f"{VLLM_PYTHON} is missing: run scripts/setup-vllm.sh (scripts/setup-dev.sh does), "
                    "or set PIPE_SKIP_VLLM=1 to skip the vLLM tests", pytrace=False)
    port = free_port()
    log = tmp_path_factory.mktemp("vllm") / "vllm.log"
    proc = start_server([str(ROOT / "scripts" / "vllm-serve.sh"), "--port", str(port)], port, log, VLLM_START_S)
    yield f"http://127.0.0.1:{port}/v1"
    _stop(proc)


@pytest.fixture(scope="session")
def pipe_serve_url(tmp_path_factory) -> Iterator[str]:
    """Base URL of `pipe serve` (the embedded server over HTTP) on the same weights."""
    port = free_port()
    log = tmp_path_factory.mktemp("pipe-serve") / "serve.log"
    proc = start_server([str(PIPE), "serve", "--port", str(port)], port, log, 60)
    yield f"http://127.0.0.1:{port}/v1"
    _stop(proc)
