import csv

import pytest

from evals.report import ResultRow, compare_reports, markdown_table, write_report
from pipelines.errors import InputError


def _row(recipe, params, correct, usd, steps=()):
    return ResultRow(recipe=recipe, params=params, dataset="arith", items=10, correct=correct,
                     usd=usd, prompt_tokens=100, completion_tokens=50, calls=20, wall_s=1.5,
                     steps=list(steps))


ROWS = [
    _row("single", "", 4, 0.001),
    _row("self_consistency", "N=4", 6, 0.004),
    _row("rsa", "N=4 K=2 T=2", 7, 0.008, steps=[
        {"step": 1, "mean_acc": 0.4, "majority_acc": 0.6, "pass_at_n": 0.8, "mean_tokens": 12.0,
         "median_tokens": 11.0},
        {"step": 2, "mean_acc": 0.6, "majority_acc": 0.7, "pass_at_n": 0.8, "mean_tokens": 14.0,
         "median_tokens": 13.0}]),
    _row("unpriced", "", 9, None),
]


def test_write_report_files_and_numbers(tmp_path):
    md = write_report(tmp_path, ROWS, title="demo")
    text = md.read_text()
    assert text.startswith("# demo")
    assert "| rsa | N=4 K=2 T=2 | arith | 0.700 [0.397, 0.892] | 0.008000 | 87.5 |" in text
    assert "| unpriced |  | arith | 0.900" in text and "| — | — |" in text
    assert "![accuracy vs $](accuracy_vs_cost.png)" in text
    for png in ("accuracy_vs_cost.png", "accuracy_vs_step.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(tmp_path / "report.csv") as src:
        records = list(csv.DictReader(src))
    assert [r["recipe"] for r in records] == ["single", "self_consistency", "rsa", "unpriced"]
    assert float(records[1]["acc_per_usd"]) == pytest.approx(150.0)
    assert records[3]["usd"] == "" and records[3]["acc_per_usd"] == ""
    with open(tmp_path / "steps.csv") as src:
        steps = list(csv.DictReader(src))
    assert [(s["recipe"], s["step"], s["majority_acc"]) for s in steps] == [
        ("rsa", "1", "0.6"), ("rsa", "2", "0.7")]


def test_no_step_plot_without_multi_step_rows(tmp_path):
    md = write_report(tmp_path, ROWS[:2])
    assert not (tmp_path / "accuracy_vs_step.png").exists()
    assert "Per step" not in md.read_text()


def test_compare_reports(tmp_path):
    write_report(tmp_path / "a", ROWS[:3])
    better = [_row("single", "", 5, 0.001), _row("self_consistency", "N=4", 6, 0.002),
              _row("new", "N=8", 1, 0.1)]
    write_report(tmp_path / "b", better)
    diff = compare_reports(tmp_path / "a", tmp_path / "b")
    assert "| single |  | arith | 0.400 | 0.500 | +0.100 | 0.001000 | 0.001000 | +0.000000 |" in diff
    assert "| self_consistency | N=4 | arith | 0.600 | 0.600 | +0.000 | 0.004000 | 0.002000 | -0.002000 |" in diff
    assert "Only in A: rsa N=4 K=2 T=2 arith" in diff
    assert "Only in B: new N=8 arith" in diff


def test_compare_needs_report_folders(tmp_path):
    with pytest.raises(InputError, match="no eval report"):
        compare_reports(tmp_path, tmp_path)


def test_markdown_table_has_a_row_per_result():
    assert markdown_table(ROWS).count("\n| ") == len(ROWS)
