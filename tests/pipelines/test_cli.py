"""The CLI over a real run: run --json, runs, show, graph, --estimate."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import pipelines
from pipelines import RunOptions
from pipelines.cli.main import main
from tests.pipelines.execution.budget_recipe import MODEL, SHEET
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
    """Rates $100 / $20,000 per 1M input / output tokens (tests/pipelines/execution/
    budget_recipe.py); no max_tokens in the recipe, so each call may write 1,024 tokens."""
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(SHEET)
    args = ["run", str(RSA), "--estimate", "--model", MODEL, "--pricing", str(sheet),
            "--endpoint", "https://api.example.com/v1", "-p", "N=4", "-p", "T=3",
            "--store", str(tmp_path / "s")]
    out = CliRunner().invoke(main, args)
    assert out.exit_code == 0, out.output
    assert not (tmp_path / "s").exists()
    # prompt bound per call = UTF-8 bytes of the template + the largest item's JSON (45 bytes)
    # + 8 per message + 64 per call; an aggregation call adds K=2 candidates x 1,024 tokens
    item = len('{"id": "a", "question": "1+1", "answer": "2"}')
    solve = len((RSA.parent / "prompts/solve.j2").read_bytes()) + item + 8 + 64
    aggregate = len((RSA.parent / "prompts/aggregate.j2").read_bytes()) + item + 8 + 64 + 2048
    assert (solve, aggregate) == (139, 2272)

    def usd(prompt: int) -> float:  # 8 calls (2 items x N=4) of one node
        return 8 * (prompt * 100.0 + 1024 * 20000.0) / 1e6

    est = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    assert [(r["node"], r["calls"], r["prompt_tokens"], r["max_output_tokens"])
            for r in est["nodes"]] == [("solve", 8, 8 * 139, 8 * 1024),
                                       ("steps.1.aggregate", 8, 8 * 2272, 8 * 1024),
                                       ("steps.2.aggregate", 8, 8 * 2272, 8 * 1024)]
    assert [r["usd"] for r in est["nodes"]] == pytest.approx([163.9512, 165.6576, 165.6576])
    assert [r["usd"] for r in est["nodes"]] == pytest.approx([usd(solve), usd(aggregate),
                                                             usd(aggregate)])
    assert est["total_usd"] == pytest.approx(495.2664)
    assert "total at most $495.27" in out.output and "$163.95" in out.output


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
