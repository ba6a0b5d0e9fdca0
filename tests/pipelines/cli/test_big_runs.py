"""`pipe show` and `pipe export` on a run too big to hold: right output, and the same peak
memory (measured in the pipe process) for 20,000 items of 3 KB as for 500."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

import pytest

import pipelines
from pipelines.cli.render import print_show_json
from tests.pipelines.big_run import write_run
from tests.pipelines.cli.conftest import ROOT

BIG, SMALL, PAD = 20_000, 500, 3_000
"""20k items with 3 KB outputs and two calls of 3 KB responses: ~60 MB of outputs and
~120 MB of responses, far above the allowed growth."""
GROWTH_MB = 25
PEAK = """
import os, resource, runpy, sys
sys.argv = ["pipe", *sys.argv[1:]]
code = 0
try:
    runpy.run_module("pipelines.cli", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
with open(os.environ["PEAK_FILE"], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
sys.exit(code)
"""
"""`pipe ARGS` run in this process, then its peak RSS (MB) written to $PEAK_FILE."""


def peak_pipe(tmp_path, *args: str, stdout=subprocess.DEVNULL) -> float:
    """Run `pipe ARGS` in a child; its own peak RSS in MB."""
    peak_file = tmp_path / "peak"
    out = subprocess.run([sys.executable, "-c", PEAK, *args], cwd=ROOT,
                         env={**os.environ, "COLUMNS": "80", "PEAK_FILE": str(peak_file)},
                         stdout=stdout,
                         stderr=subprocess.PIPE, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return float(peak_file.read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(store, small run id, big run id), both in one store."""
    root = tmp_path_factory.mktemp("runs")
    return root, write_run(root, SMALL, pad=PAD), write_run(root, BIG, pad=PAD)


@pytest.mark.parametrize("args", [("export",), ("export", "--format", "csv"),
                                  ("export", "--calls"), ("show", "--json"), ("show",)])
def test_peak_memory_does_not_grow_with_the_run(runs, tmp_path, args):
    root, small, big = runs
    peaks = []
    for run_id in (small, big):
        with open(tmp_path / "out", "w") as sink:
            peaks.append(peak_pipe(tmp_path, args[0], run_id, *args[1:], "--store", str(root),
                                   stdout=sink))
    assert peaks[1] - peaks[0] < GROWTH_MB, f"{args}: {peaks[0]:.0f} -> {peaks[1]:.0f} MB"


def test_big_export_has_every_row_and_column(runs, tmp_path):
    root, _, big = runs
    path = tmp_path / "big.csv"
    peak_pipe(tmp_path, "export", big, "--format", "csv", "-o", str(path), "--store", str(root))
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames[-3:] == ["answer", "text", "note"]
        rows = [(r["item_id"], r["answer"], r["correct"], r["note"], len(r["text"]))
                for r in reader]
    assert len(rows) == BIG and rows[0] == ("i0", "0", "True", "", PAD)
    assert rows[7] == ("i7", "7", "False", "n7", PAD)
    assert rows[-1][0] == f"i{BIG - 1}"

    with open(tmp_path / "calls.jsonl", "w") as sink:
        peak_pipe(tmp_path, "export", big, "--calls", "--store", str(root), stdout=sink)
    with open(tmp_path / "calls.jsonl") as f:
        calls = [json.loads(line) for line in f]
    assert len(calls) == 2 * BIG and calls[-1]["item_id"] == f"i{BIG - 1}"
    assert sum(c["cost_usd"] or 0 for c in calls) == pytest.approx(0.001 * (2 * BIG - BIG // 10))


def test_big_show_json_is_the_whole_report(runs, tmp_path):
    root, _, big = runs
    with open(tmp_path / "show.json", "w") as sink:
        peak_pipe(tmp_path, "show", big, "--json", "--store", str(root), stdout=sink)
    report = json.loads((tmp_path / "show.json").read_text())
    assert report["run"]["run_id"] == big and len(report["items"]) == BIG
    assert report["items"][BIG - 1]["item_id"] == f"i{BIG - 1}"
    assert [n["calls"] for n in report["nodes"]] == [BIG, BIG - BIG // 10]
    assert report["total_usd"] == pytest.approx(0.001 * (2 * BIG - BIG // 10))


def test_big_show_lists_the_first_items_and_says_how_many_more(runs, tmp_path):
    root, _, big = runs
    with open(tmp_path / "show.txt", "w") as sink:
        peak_pipe(tmp_path, "show", big, "--store", str(root), stdout=sink)
    text = (tmp_path / "show.txt").read_text()
    assert f"... and {BIG - 50} more items: pipe export {big}" in text
    assert "i49" in text and "i50 " not in text


def test_streamed_show_json_is_the_same_text_as_one_dump(runs):
    root, small, _ = runs
    report = pipelines.show(small, root)
    out = io.StringIO()
    print_show_json(report, out)
    whole = {k: list(v) if k == "items" else v for k, v in report.items()}
    assert out.getvalue() == json.dumps(whole, indent=2, default=str) + "\n"
    assert len(whole["items"]) == SMALL
