import csv
import itertools

import pytest
from matplotlib.text import Text

from evals.plots import draw_accuracy_vs_cost, draw_accuracy_vs_step
from evals.report import ResultRow, markdown_table, write_report


def _row(recipe, params, correct, usd, steps=(), items=10, dataset="arith"):
    return ResultRow(recipe=recipe, params=params, dataset=dataset, items=items, correct=correct,
                     usd=usd, prompt_tokens=100, completion_tokens=50, calls=20, wall_s=1.5,
                     steps=list(steps))


def _steps(*majority):
    return [{"step": i + 1, "mean_acc": m / 2, "majority_acc": m, "pass_at_n": 1.0,
             "mean_tokens": 10.0, "median_tokens": 10.0} for i, m in enumerate(majority)]


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
    assert "| rsa | N=4 K=2 T=2 | arith | 0.700 [0.397, 0.892] | $0.00800 | 87.5 |" in text
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


def test_markdown_table_has_a_row_per_result():
    assert markdown_table(ROWS).count("\n| ") == len(ROWS)


EDGES = [_row("single", "", 0, 0.001, items=3), _row("single", "", 3, 0.001, items=3, dataset="b"),
         _row("rsa", "N=2 K=2 T=2", 0, 0.004, items=3, steps=_steps(0.0, 0.0)),
         _row("rsa", "N=2 K=2 T=2", 3, 0.004, items=3, dataset="b", steps=_steps(1.0, 1.0))]


def test_report_and_plots_at_0_and_100_percent(tmp_path):
    """0/3 and 3/3 cells: bounds exactly 0 and 1 in every file, and both plots are written."""
    text = write_report(tmp_path, EDGES).read_text()
    assert "| single |  | arith | 0.000 [0.000, 0.561] |" in text
    assert "| single |  | b | 1.000 [0.439, 1.000] |" in text
    with open(tmp_path / "report.csv") as src:
        records = list(csv.DictReader(src))
    assert records[0]["ci_low"] == "0.0" and float(records[0]["ci_high"]) == pytest.approx(0.561497)
    assert float(records[1]["ci_low"]) == pytest.approx(0.438503) and records[1]["ci_high"] == "1.0"
    for png in ("accuracy_vs_cost.png", "accuracy_vs_step.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _text_boxes(fig):
    """Each panel's labels and the boxes of their text (leader lines may cross other labels)."""
    renderer = fig.canvas.get_renderer()
    return {ax: [(t.get_text(), Text.get_window_extent(t, renderer)) for t in ax.texts]
            for ax in fig.axes if ax.get_visible()}


def test_cost_plot_labels_never_overlap_and_every_mark_has_a_legend_entry():
    # ten cells crowded at two costs and one accuracy: the worst case for labels
    rows = [_row("rsa", f"N={n} K=2 T={t}", 5, 0.002 * (1 + (n > 4)), items=10)
            for n, t in itertools.product((2, 4, 8, 16, 32), (1, 2))]
    rows += [_row("self_consistency", "N=2", 5, 0.002), _row("single", "", 2, 0.0005)]
    fig = draw_accuracy_vs_cost(rows)
    ((ax, labels),) = _text_boxes(fig).items()
    # one label per place (cells at the same cost and accuracy share one, a line each)
    assert len(labels) == 3
    assert sorted(line for text, _ in labels for line in text.split("\n")) == \
        sorted(r.params or r.recipe for r in rows)
    for (a, box_a), (b, box_b) in itertools.combinations(labels, 2):
        assert not box_a.overlaps(box_b), (a, b)
    frame = ax.get_window_extent(fig.canvas.get_renderer())
    assert all(frame.x0 <= box.x0 and box.x1 <= frame.x1 for _, box in labels)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["rsa", "self_consistency", "single", "95% interval\nof the accuracy",
                      "Pareto frontier (ringed):\nno cheaper point is\nas accurate"]
    shapes = {h.get_label(): h.get_marker() for h in fig.legends[0].legend_handles}
    assert shapes["rsa"] != shapes["self_consistency"] != shapes["single"]


def test_step_plot_is_one_panel_per_stepped_cell_on_shared_axes():
    rows = [_row("rsa", f"N={n} K=2 T=3", 5, 0.01, steps=_steps(0.2, 0.4, 0.6 + n / 100))
            for n in (2, 4, 8, 16, 32)]
    rows += [_row("rsa", "N=2 K=2 T=3", 1, 0.01, dataset="other", steps=_steps(0.1, 0.2, 0.3)),
             _row("single", "", 5, 0.001, steps=_steps(0.5))]  # one step: no panel
    fig = draw_accuracy_vs_step(rows)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == [
        *(f"rsa N={n} K=2 T=3 · arith" for n in (2, 4, 8, 16, 32)), "rsa N=2 K=2 T=3 · other"]
    # 3 to a row (5 panels: near square), each dataset starting a row: arith fills rows 1-2
    assert [ax.get_subplotspec().rowspan.start for ax in panels] == [0, 0, 0, 1, 1, 2]
    assert {ax.get_ylim() for ax in panels} == {(-0.04, 1.04)}
    assert [len(ax.get_lines()) for ax in panels] == [3] * 6  # majority, mean, pass@N
    assert panels[0].texts[0].get_text() == "62%"  # the final majority accuracy
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["majority vote\nof the population", "mean accuracy\nof one member",
                      "pass@N: some\nmember is right"]
