"""`--api auto` takes the endpoint's Batch API when it has one, and says in one line on stderr
why it fell back to concurrent requests when it does not."""

from __future__ import annotations

import json

from click.testing import CliRunner

from pipelines import RunOptions
from pipelines.batch import jobs
from pipelines.batch.cli import batch
from tests.pipelines.batch.conftest import write_input
from tests.pipelines.batch.test_batch_api import served, url, write  # noqa: F401 (fixtures)
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve


def submit(*args) -> object:
    return CliRunner().invoke(batch, ["submit", *map(str, args), "--json"],
                              catch_exceptions=False)


def test_auto_falls_back_on_a_404_and_says_so(tmp_path, sheet):
    with serve(FakeLLM().app) as fake_url:  # chat completions only: /v1/batches is a 404
        done = submit(write_input(tmp_path / "in.jsonl", 3), "--endpoint", fake_url,
                      "--pricing", sheet, "--store", tmp_path / "s")
    assert done.exit_code == 0, done.output
    notes = [line for line in done.stderr.splitlines() if line.startswith("note: --api auto")]
    assert notes == ["note: --api auto: endpoint has no /v1/batches (404); sending requests "
                     "concurrently instead (no batch discount)"]
    assert json.loads(done.stdout)["counts"]["done"] == 3


def test_auto_with_a_window_says_the_window_is_kept_here(tmp_path, sheet):
    heard: list[str] = []
    jobs.submit(write_input(tmp_path / "in.jsonl", 2), options=RunOptions(
        store=tmp_path / "s", endpoint="http://127.0.0.1:9/v1"), window="off-peak",
        pricing=str(sheet), run=False, notify=heard.append)
    assert heard == ["--window/--deadline are kept by sending requests from here, in the "
                     "cheap windows (no batch discount)"]


def test_auto_uses_a_batch_api_when_there_is_one_and_says_nothing(tmp_path, url):
    path, sheet = write(tmp_path, 3)
    done = submit(path, "--endpoint", url, "--pricing", sheet, "--store", tmp_path / "s")
    assert done.exit_code == 0, done.output
    assert "note:" not in done.stderr
    status = CliRunner().invoke(batch, ["status", "--store", str(tmp_path / "s"), "--json"])
    assert json.loads(status.stdout)[0]["api"] == "batch"
