"""`pipe eval`: suites validated before spend, run, resumed, budgeted, reported and compared."""

from __future__ import annotations

import csv
import json
import sqlite3
import textwrap
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from evals.runner import run_suite
from evals.scoring import score_answer
from evals.suite import load_suite
from pipelines import InputError, RecipeError, RunOptions
from pipelines.cli import main
from tests.evals.fake_solver import TokenMeter, solver

ROOT = Path(__file__).parents[2]
SMOKE = ROOT / "evals" / "smoke.yaml"
URL = "http://fake.test/v1"


def run(suite, store, fake, resume=None, **kw):
    options = RunOptions(store=store, endpoint=URL, meter=TokenMeter(),
                         transport=httpx.ASGITransport(app=fake.app), **kw)
    return run_suite(suite, options, resume=resume)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as src:
        return list(csv.DictReader(src))


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    store = tmp_path_factory.mktemp("store")
    fake = solver()
    return run(SMOKE, store, fake), store, fake


def test_smoke_suite_runs_every_cell_and_writes_the_report(smoke_run):
    done, _, _ = smoke_run
    assert done.status == "ok" and done.exit_code == 0
    cells = [r.recipe + " " + r.params for r in done.rows if r.dataset == "jsonl"]
    assert cells == ["single ", "self_consistency N=2", "self_consistency N=4",
                     "rsa N=2 K=2 T=1", "rsa N=2 K=2 T=2", "rsa N=4 K=2 T=1", "rsa N=4 K=2 T=2"]
    for name in ("report.md", "report.csv", "steps.csv", "accuracy_vs_cost.png",
                 "accuracy_vs_step.png", "suite.json"):
        assert (done.folder / name).is_file(), name
    md = (done.folder / "report.md").read_text()
    assert "| rsa | N=4 K=2 T=2 | chain_sum |" in md and "![accuracy vs $]" in md


def test_report_numbers_are_recomputed_from_the_stored_calls(smoke_run):
    done, store, _ = smoke_run
    db = sqlite3.connect(store / "runs.sqlite")
    items = {d: {i["id"]: i for i in v} for d, v in load_suite(SMOKE).items.items()}
    for row in read_csv(done.folder / "report.csv"):
        calls = db.execute("SELECT prompt_tokens, completion_tokens, would_cost_usd FROM calls "
                           "WHERE run_id=? AND status='ok'", (row["run_id"],)).fetchall()
        assert int(row["calls"]) == len(calls)
        assert int(row["prompt_tokens"]) == sum(c[0] for c in calls)
        assert int(row["completion_tokens"]) == sum(c[1] for c in calls)
        assert float(row["usd"]) == pytest.approx(sum((c[0] + 2 * c[1]) / 1e6 for c in calls))
        outputs = db.execute("SELECT item_id, outputs FROM items WHERE run_id=?", (row["run_id"],))
        correct = sum(score_answer(items[row["dataset"]][i], json.loads(o)["answer"]) == 1.0
                      for i, o in outputs)
        assert int(row["correct"]) == correct and int(row["items"]) == 3
        assert float(row["accuracy"]) == pytest.approx(correct / 3)


def test_reasoning_gym_cells_ask_for_answer_tags_and_use_the_tasks_scorer(smoke_run):
    done, _, fake = smoke_run
    rg_prompts = [b["messages"][-1]["content"] for b in fake.requests
                  if "arithmetic problem" in b["messages"][-1]["content"]]
    assert rg_prompts and all("<answer>" in p and "\\boxed" not in p for p in rg_prompts)
    single = next(r for r in done.rows if r.recipe == "single" and r.dataset == "chain_sum")
    assert single.correct > 0  # the fake answers in tags; the task's scorer accepted them


def test_rsa_rows_carry_per_step_curves(smoke_run):
    done, _, _ = smoke_run
    rsa = next(r for r in done.rows if r.recipe == "rsa" and r.params == "N=4 K=2 T=2")
    assert [s["step"] for s in rsa.steps] == [1, 2]
    steps = [s for s in read_csv(done.folder / "steps.csv") if s["recipe"] == "rsa"]
    assert {s["params"] for s in steps} >= {"N=4 K=2 T=2"}


def test_compare_two_suite_reports_from_the_cli(smoke_run, tmp_path):
    done, store, _ = smoke_run
    again = run(SMOKE, store, solver())  # same calls: served by the response cache
    assert all(r.spent_usd == 0.0 for r in again.rows)
    assert [r.usd for r in again.rows] == pytest.approx([r.usd for r in done.rows])
    result = CliRunner().invoke(main, ["eval", "--compare", done.suite_id, str(again.folder),
                                       "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "| rsa | N=4 K=2 T=2 | jsonl |" in result.output and "+0.000" in result.output


def _suite(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "suite.yaml"
    path.write_text(textwrap.dedent(body).replace("RECIPES", str(ROOT / "recipes")))
    return path


def test_budget_covers_the_whole_suite_and_a_resume_finishes_without_repeating(tmp_path):
    suite = _suite(tmp_path, """\
        name: budget
        datasets: {qa: {source: %s}}
        recipes: {sc: RECIPES/self_consistency.yaml}
        grid: {N: [2, 4, 8]}
        """ % (ROOT / "evals" / "data" / "smoke.jsonl"))
    fake = solver()
    first = run(suite, tmp_path / "store", fake, max_cost=0.0035)
    assert first.status == "budget" and first.exit_code == 3
    spent = sum(r.spent_usd for r in first.rows)
    assert spent <= 0.0035
    calls_before = len(fake.requests)
    second = run(None, tmp_path / "store", fake, resume=first.suite_id, max_cost=1.0)
    assert second.status == "ok" and [r.items for r in second.rows] == [3, 3, 3]
    fresh = solver()
    run(suite, tmp_path / "fresh", fresh)
    # N=2's samples are N=4's first two (same per-sample seeds): the response cache serves them
    sent = [(b["messages"][-1]["content"], b["seed"]) for b in fake.requests]
    assert len(sent) == len(set(sent)) == len(fresh.requests) == 3 * 8
    assert calls_before < len(fake.requests)


@pytest.mark.parametrize(
    ("datasets", "grid", "message"),
    [
        ("{x: {source: nosuch}}", "{}", "unknown dataset source 'nosuch'; known: ["),
        ("{x: {source: reasoning_gym, task: chain_summ, size: 2}}", "{}",
         "unknown reasoning-gym task 'chain_summ'; did you mean chain_sum"),
        ("{x: {source: BAD}}", "{}", "bad.jsonl:2: row has no answer"),
        ("{x: {source: GOOD}}", "{N: [2, 4], K: [4]}", "grid point N=2 K=4: K=4 > N=2"),
        ("{x: {source: GOOD}}", "{K: [16]}", "grid point K=16: K=16 > N=8"),  # N: the default
        ("{x: {source: GOOD}}", "{Q: [1]}", "param 'Q' is not declared by any recipe"),
    ],
)
def test_bad_input_is_one_clear_error_before_any_call(tmp_path, datasets, grid, message):
    (tmp_path / "bad.jsonl").write_text('{"question": "q", "answer": "1"}\n{"question": "q2"}\n')
    suite = _suite(tmp_path, f"""\
        name: bad
        datasets: {datasets.replace("BAD", str(tmp_path / "bad.jsonl"))
                   .replace("GOOD", str(ROOT / "evals" / "data" / "smoke.jsonl"))}
        recipes: {{rsa: RECIPES/rsa_math.yaml}}
        grid: {grid}
        """)
    fake = solver()
    with pytest.raises(InputError) as err:
        run(suite, tmp_path / "store", fake)
    assert message in str(err.value)
    assert fake.requests == [] and not (tmp_path / "store" / "evals").exists()
    cli = CliRunner().invoke(main, ["eval", str(suite), "--store", str(tmp_path / "store")])
    assert cli.exit_code == 2 and message in cli.output


def test_unknown_suite_keys_name_the_line(tmp_path):
    suite = _suite(tmp_path, """\
        name: typo
        datasets: {x: {source: arith}}
        recipe: {rsa: RECIPES/rsa_math.yaml}
        """)
    with pytest.raises(RecipeError) as err:
        load_suite(suite)
    assert "suite.yaml:3 (recipe): unknown key 'recipe'" in str(err.value)
    assert "missing required field 'recipes'" in str(err.value)
