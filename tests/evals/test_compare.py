"""`pipe eval --compare`: which settings differ, and whether accuracy differences are
significant."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from evals.compare import Difference, compare_reports, settings_diff
from evals.report import write_report
from evals.results import ResultRow
from pipelines.cli import main
from pipelines.errors import InputError

BASE = {"recipe_file": "rsa_math.yaml", "model": "moe-tiny", "endpoint": "embedded",
        "max_tokens": 64, "temperature": 1.0}


def _row(recipe, params, correct, items, usd, **settings):
    return ResultRow(recipe=recipe, params=params, dataset="arith", items=items, correct=correct,
                     usd=usd, prompt_tokens=10, completion_tokens=5, calls=3, wall_s=1.0,
                     settings={**BASE, **settings})


def test_differences_on_known_counts():
    # 0/3 -> 3/3: Wilson(0/3) = [0, u], Wilson(3/3) = [1 - u, 1], u = 0.561497;
    # Newcombe low = 1 - sqrt(u^2 + u^2) = 1 - 0.794071 = 0.205929 > 0: significant
    edge = Difference(0, 3, 3, 3)
    assert edge.interval == (1.0, pytest.approx(0.205923, abs=1e-6), 1.0) and edge.significant
    # 4/10 -> 5/10: Wilson(4/10) = [0.168180, 0.687326], Wilson(5/10) = [0.236593, 0.763407];
    # low = 0.1 - sqrt((0.5 - 0.236593)^2 + (0.687326 - 0.4)^2) = 0.1 - 0.389794 = -0.289794
    # high = 0.1 + sqrt((0.763407 - 0.5)^2 + (0.4 - 0.168180)^2) = 0.1 + 0.350890 = 0.450890
    small = Difference(4, 10, 5, 10)
    assert small.interval == (pytest.approx(0.1), pytest.approx(-0.289794, abs=1e-5),
                              pytest.approx(0.450890, abs=1e-5))
    assert not small.significant
    # fewer right in B: the interval lies below 0 (Newcombe 1998, example (a), reversed)
    worse = Difference(56, 70, 48, 80)
    assert worse.interval == (pytest.approx(-0.2), pytest.approx(-0.3339, abs=5e-5),
                              pytest.approx(-0.0524, abs=5e-5))
    assert worse.significant


def test_settings_diff_names_changed_added_and_missing_settings():
    assert settings_diff({"a": 1, "b": 2, "c": 3}, {"a": 1, "b": 5, "d": 4}) == {
        "b": (2, 5), "c": (3, "—"), "d": ("—", 4)}
    assert settings_diff(BASE, dict(BASE)) == {}


def test_compare_reports_shows_settings_counts_intervals_and_significance(tmp_path):
    write_report(tmp_path / "a", [_row("single", "", 0, 3, 0.001),
                                  _row("rsa", "N=4 K=2 T=2", 4, 10, 0.004),
                                  _row("rsa", "N=8 K=2 T=2", 6, 10, 0.008)])
    write_report(tmp_path / "b", [_row("single", "", 3, 3, 0.0012, model="moe-big"),
                                  _row("rsa", "N=4 K=2 T=2", 5, 10, 0.0042, model="moe-big",
                                       temperature=0.7),
                                  _row("new", "", 1, 3, 0.1, model="moe-big")])
    text = compare_reports(tmp_path / "a", tmp_path / "b")
    assert text.splitlines() == [
        "# a (A) vs b (B)",
        "",
        "Settings that differ in every shared cell: model moe-tiny → moe-big.",
        "",
        "| cell | A | B | B − A (95% CI) | significant |",
        "|---|---|---|---|---|",
        "| single · arith | 0/3 | 3/3 | +1.000 [+0.206, +1.000] | yes |",
        "| rsa N=4 K=2 T=2 · arith | 4/10 | 5/10 | +0.100 [-0.290, +0.451] | no |",
        "",
        "| cell | $ A | $ B | B / A |",
        "|---|---|---|---|",
        "| single · arith | $0.00100 | $0.00120 | ×1.20 |",
        "| rsa N=4 K=2 T=2 · arith | $0.00400 | $0.00420 | ×1.05 |",
        "",
        "Cells whose settings differ in other ways:",
        "- rsa N=4 K=2 T=2 · arith also: temperature 1.0 → 0.7",
        "",
        "Only in A: rsa N=8 K=2 T=2 · arith",
        "",
        "Only in B: new · arith",
        "",
        "significant: the 95% Newcombe interval of B − A excludes 0 (two-sided, 5% level; "
        "items counted as independent samples).",
    ]


def test_reports_without_settings_still_compare(tmp_path):
    write_report(tmp_path / "a", [_row("single", "", 1, 3, 0.001)])
    write_report(tmp_path / "b", [_row("single", "", 2, 3, 0.001)])
    for side in ("a", "b"):  # as written before reports recorded settings
        path = tmp_path / side / "report.csv"
        with open(path, newline="") as src:
            records = list(csv.DictReader(src))
        with open(path, "w", newline="") as out:
            fields = [f for f in records[0] if f != "settings"]
            writer = csv.DictWriter(out, fieldnames=fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(records)
    text = compare_reports(tmp_path / "a", tmp_path / "b")
    assert "Settings: not recorded" in text
    assert "| single · arith | 1/3 | 2/3 | +0.333 [" in text


def test_compare_needs_report_folders(tmp_path):
    with pytest.raises(InputError, match="no eval report"):
        compare_reports(tmp_path, tmp_path)
    cli = CliRunner()
    result = cli.invoke(main, ["eval", "--compare", str(tmp_path), str(tmp_path)])
    assert result.exit_code == 2 and f"no eval report at {tmp_path / 'report.csv'}" in result.output
    result = cli.invoke(main, ["eval", "--compare", "nosuch", str(tmp_path), "--store",
                               str(tmp_path)])
    assert result.exit_code == 2
    assert f"no suite run 'nosuch' in {tmp_path / 'evals'}" in result.output


def test_compare_from_the_cli(tmp_path):
    write_report(tmp_path / "a", [_row("single", "", 0, 3, 0.001)])
    write_report(tmp_path / "b", [_row("single", "", 3, 3, 0.001, max_tokens=128)])
    result = CliRunner().invoke(main, ["eval", "--compare", str(tmp_path / "a"),
                                       str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert "Settings that differ in every shared cell: max_tokens 64 → 128." in result.output
    assert "| single · arith | 0/3 | 3/3 | +1.000 [+0.206, +1.000] | yes |" in result.output
