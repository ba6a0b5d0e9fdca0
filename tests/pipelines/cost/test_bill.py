"""`pipe cost bill`: itemising call rows, and reading them from a real run store."""

import json
from dataclasses import replace

import pytest
from click.testing import CliRunner

from pipelines.cost import format_bill, itemise
from pipelines.cost.cli import cost
from pipelines.storage.run_store import RunStore
from pipelines.types import CallRow, CallStatus

DS = "sheet:deepseek/2025-10-01@2025-02-26T16:30Z"


def call(node, model, tier, cost_usd, *, hit=False, would=None, prompt=100, cached=0, out=50,
         reasoning=0, source=DS, **columns) -> CallRow:
    columns = {"run_id": "run1", "item_id": "item1", "call_key": "k",
               "endpoint": "https://api.deepseek.com", **columns}
    return CallRow(node=node, model=model, tier=tier, cost_usd=cost_usd,
                   would_cost_usd=cost_usd if would is None else would, cache_hit=int(hit),
                   prompt_tokens=prompt, cached_tokens=cached, completion_tokens=out,
                   reasoning_tokens=reasoning, price_source=source, **columns)


ROWS = [
    call("solve", "deepseek-chat", "standard", 0.001, cached=40),
    call("solve", "deepseek-chat", "standard", 0.001),
    call("solve", "deepseek-chat", "standard", 0.0, hit=True, would=0.001),
    call("steps.1.aggregate", "deepseek-chat", "off-peak", 0.0005, reasoning=20),
    call("steps.1.aggregate", "deepseek-chat", "off-peak", 0.0005),
    call("check", "mystery-model", "standard", None, source="unknown"),
]


def test_itemise_sums_by_node_model_and_tier():
    bill = itemise(ROWS, "run1")
    solve = bill.lines[("solve", "deepseek-chat", "standard")]
    assert (solve.calls, solve.cache_hits, solve.cached_tokens) == (3, 1, 40)
    assert solve.usd == pytest.approx(0.002) and solve.saved_usd == pytest.approx(0.001)
    agg = bill.nodes["steps.1.aggregate"]
    assert agg.usd == pytest.approx(0.001) and agg.reasoning_tokens == 20
    assert bill.tiers["off-peak"].usd == pytest.approx(0.001)
    assert bill.models["deepseek-chat"].usd == pytest.approx(0.003)
    assert bill.total.prompt_tokens == 600 and bill.total.completion_tokens == 300


def test_unknown_price_keeps_the_total_unknown():
    bill = itemise(ROWS)
    assert bill.nodes["check"].usd is None and bill.nodes["check"].unknown_calls == 1
    assert bill.total.usd is None  # not 0.003: one call's price is unknown
    assert bill.total.known_usd == pytest.approx(0.003)
    text = format_bill(bill)
    assert "unknown (>= $0.003000; 1 call unpriced)" in text
    check_line = next(ln for ln in text.splitlines() if ln.startswith("check"))
    assert check_line.endswith("unknown (>= $0; 1 call unpriced)")
    assert f"price sources: {DS}, unknown" in text


def test_failed_calls_are_counted_not_priced():
    failed = call("solve", "deepseek-chat", "standard", None, prompt=0, out=0,
                  status=CallStatus.ERROR)
    bill = itemise([ROWS[0], failed])
    assert bill.total.usd == pytest.approx(0.001) and bill.total.unknown_calls == 0
    assert (bill.total.calls, bill.total.failed_calls) == (1, 1)


def test_cache_hit_with_unknown_would_cost_is_still_free():
    bill = itemise([call("n", "m", "standard", 0.0, hit=True, would=None)])
    bill_row = bill.total
    assert bill_row.usd == 0.0 and bill_row.unknown_calls == 0


@pytest.fixture()
def store(tmp_path):
    """A real run store (the engine's writer and schema) holding two runs."""
    runs = RunStore(tmp_path)
    rows = [replace(row, run_id="20251005-abc", call_key=f"k{i}",
                    started_at=f"2025-10-05T12:00:0{i}+00:00", response="text")
            for i, row in enumerate(ROWS)]
    rows += [call("solve", "gpt-4o", "standard", 7.0, source="sheet:openai", run_id="20251004-zzz"),
             call("solve", "gpt-4o", "standard", None, run_id="20251004-zzz",
                  status=CallStatus.ERROR, error="HTTP 500")]
    for row in rows:
        runs.record_call(row)
    runs.close()
    return tmp_path


def test_cli_bill_json_from_the_run_store(store):
    result = CliRunner().invoke(cost, ["bill", "20251005", "--store", str(store),
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["run_id"] == "20251005-abc"  # a unique prefix is enough
    assert data["total"]["usd"] is None and data["total"]["unknown_calls"] == 1
    assert data["total"]["known_usd"] == pytest.approx(0.003)  # the other run is not mixed in
    assert {(ln["node"], ln["tier"]) for ln in data["lines"]} == {
        ("solve", "standard"), ("steps.1.aggregate", "off-peak"), ("check", "standard")}


def test_cli_bill_table(store):
    result = CliRunner().invoke(cost, ["bill", "20251004-zzz", "--store", str(store)])
    assert result.exit_code == 0, result.output
    total = next(ln for ln in result.output.splitlines() if ln.startswith("TOTAL"))
    assert total.endswith("$7.0000")  # the failed call is counted apart, not as unknown
    assert "1 failed call (no answer): not billed" in result.output


def test_cli_bill_unknown_run_and_missing_store(store, tmp_path):
    result = CliRunner().invoke(cost, ["bill", "nope", "--store", str(store)])
    assert result.exit_code == 2 and "20251005-abc" in result.output
    result = CliRunner().invoke(cost, ["bill", "2025", "--store", str(store)])
    assert result.exit_code == 2 and "matches several runs" in result.output
    result = CliRunner().invoke(cost, ["bill", "x", "--store", str(tmp_path / "none")])
    assert result.exit_code == 2 and "no run store" in result.output
