"""`pipe export`: items with gold and correctness, or every call, as JSONL and CSV that the
csv/json modules (and pandas, where installed) read back with the right values."""

from __future__ import annotations

import csv
import json

import pytest

from tests.pipelines.cli.conftest import pipe

ITEMS = {"one": ("2", True, "2"), "two": ("4", True, "4.0"), "three": ("6", False, "7")}
"""item id -> (gold, correct, answer)."""


def test_items_as_jsonl_keep_types(quiz_run):
    store, summary = quiz_run
    out = pipe("export", summary["run_id"], "--store", str(store))
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert list(rows[0]) == ["run_id", "item_id", "status", "gold", "correct", "error",
                             "output_gold", "answer"]
    assert {r["item_id"]: (r["gold"], r["correct"], r["answer"]) for r in rows} == ITEMS
    assert {r["run_id"] for r in rows} == {summary["run_id"]} and {r["status"] for r in rows} == {"ok"}


def test_items_as_csv_file(quiz_run, tmp_path):
    store, summary = quiz_run
    path = tmp_path / "items.csv"
    out = pipe("export", summary["run_id"], "--store", str(store), "--format", "csv", "-o", str(path))
    assert out.returncode == 0 and f"wrote 3 items of {summary['run_id']}" in out.stderr
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert {r["item_id"]: (r["gold"], r["correct"] == "True", r["answer"]) for r in rows} == ITEMS
    assert {r["error"] for r in rows} == {""}


def test_calls_carry_messages_response_tokens_and_dollars(quiz_run, tmp_path):
    store, summary = quiz_run
    rows = [json.loads(line) for line in
            pipe("export", summary["run_id"], "--store", str(store), "--calls").stdout.splitlines()]
    assert len(rows) == 6  # 3 items x n=2
    ones = [r for r in rows if r["item_id"] == "one"]
    assert [r["messages"] for r in ones] == [[{"role": "user", "content": "Solve: 1+1"}]] * 2
    assert {(r["node"], r["response"], r["gold"], r["correct"]) for r in ones} == \
        {("solve", "so \\boxed{2}", "2", True)}
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(summary["usd"], rel=1e-12)
    assert all(r["prompt_tokens"] == len("Solve: 1+1") // 4 + 1 for r in ones)

    path = tmp_path / "calls.csv"
    pipe("export", summary["run_id"], "--store", str(store), "--calls", "--format", "csv",
         "-o", str(path))
    table = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert len(table) == 6
    assert json.loads(table[0]["messages"])[0]["role"] == "user"
    assert sum(float(r["cost_usd"]) for r in table) == pytest.approx(summary["usd"], rel=1e-9)


def test_pandas_reads_both_formats(quiz_run, tmp_path):
    pd = pytest.importorskip("pandas")
    store, summary = quiz_run
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"items.{fmt}"
        pipe("export", summary["run_id"], "--store", str(store), "--format", fmt, "-o", str(path))
        frame = pd.read_json(path, lines=True) if fmt == "jsonl" else pd.read_csv(path)
        frame = frame.sort_values("item_id")  # one, three, two
        assert frame["correct"].tolist() == [True, False, True]
        assert frame["gold"].astype(str).tolist() == ["2", "6", "4"]


def test_unknown_run_is_one_clear_error(tmp_path):
    out = pipe("export", "nope", "--store", str(tmp_path))
    assert out.returncode == 2
    assert out.stderr.strip() == f"error: no run 'nope' in {tmp_path / 'runs.sqlite'} (fix: see `pipe runs`)"
