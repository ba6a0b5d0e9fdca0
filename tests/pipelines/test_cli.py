"""The CLI over a real run: run --json, runs, show, graph, --estimate."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from click.testing import CliRunner

import pipelines
from pipelines import RunOptions
from pipelines.cli.main import main
from tests.pipelines.fake_llm import FakeLLM

RSA = Path(__file__).parent / "recipes" / "rsa.yaml"


def test_runs_and_show_list_what_a_run_did(tmp_path):
    fake = FakeLLM()
    result = pipelines.run(RSA, {"T": 2},
                           RunOptions(endpoint="http://fake.test/v1", store=tmp_path,
                                      transport=httpx.ASGITransport(app=fake.app), model="deepseek-chat"))
    runner = CliRunner()
    listing = runner.invoke(main, ["runs", "--store", str(tmp_path), "--json"])
    assert listing.exit_code == 0
    assert [r["run_id"] for r in json.loads(listing.output)] == [result.run_id]
    shown = runner.invoke(main, ["show", result.run_id, "--store", str(tmp_path), "--json"])
    report = json.loads(shown.output)
    assert [n["node"] for n in report["nodes"]] == ["solve", "steps.1.aggregate"]
    assert report["total_usd"] > 0
    text = runner.invoke(main, ["show", result.run_id, "--store", str(tmp_path)])
    assert text.exit_code == 0 and "steps.1.aggregate" in text.output and "$" in text.output
    missing = runner.invoke(main, ["show", "nope", "--store", str(tmp_path)])
    assert missing.exit_code == 2 and "no run 'nope'" in missing.output


def test_estimate_counts_calls_and_prices_them_without_spending(tmp_path):
    out = CliRunner().invoke(main, ["run", str(RSA), "--estimate", "--model", "deepseek-chat",
                                    "--endpoint", "https://api.deepseek.com/v1",
                                    "-p", "N=4", "-p", "T=3", "--store", str(tmp_path / "s")])
    assert out.exit_code == 0, out.output
    # 2 items x 4 samples, then 2 aggregation steps of 4 calls each per item
    assert "solve" in out.output and "steps.2.aggregate" in out.output
    assert out.output.count(" 8 ") >= 3
    assert "total at most $" in out.output
    assert not (tmp_path / "s").exists()


def test_graph_command_prints_mermaid_and_dot():
    runner = CliRunner()
    mermaid = runner.invoke(main, ["graph", str(RSA), "-p", "T=2"])
    dot = runner.invoke(main, ["graph", str(RSA), "-p", "T=2", "--format", "dot"])
    assert mermaid.output.startswith("flowchart TD") and "steps.1.groups" in mermaid.output
    assert dot.output.startswith('digraph "rsa_test"')


def test_run_json_summary_and_exit_code(tmp_path, monkeypatch):
    fake = FakeLLM(fail=lambda body: 500 if "2+3" in body["messages"][-1]["content"] else None)
    monkeypatch.setattr(pipelines._api, "_client", _client_with(fake))
    out = CliRunner().invoke(main, ["run", str(RSA), "--json", "--store", str(tmp_path),
                                    "-p", "T=2", "--endpoint", "http://fake.test/v1"])
    summary = json.loads(out.output)
    assert out.exit_code == 1
    assert summary["items_ok"] == 1 and summary["items_failed"] == 1
    assert summary["status"] == "failed"


def _client_with(fake: FakeLLM):
    real = pipelines._api._client

    def make(plan, options, stats):
        client = real(plan, options.but(transport=httpx.ASGITransport(app=fake.app)), stats)
        client._sleep = _no_sleep  # retries of the injected 500s take no wall time
        return client
    return make


async def _no_sleep(seconds: float) -> None:
    return None
