"""`pipe eval`: suites validated before spend, run, resumed, budgeted, reported and compared."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import textwrap
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from evals.progress import SuiteProgress
from evals.runner import run_suite
from evals.scoring import score_answer
from evals.suite import load_suite
from pipelines import InputError, RecipeError, RunOptions
from pipelines.cli import main
from tests.evals.fake_solver import TokenMeter, problem_value, prompt_of, solver
from tests.pipelines.fake_llm import FakeLLM

ROOT = Path(__file__).parents[2]
SMOKE = ROOT / "evals" / "smoke.yaml"
URL = "http://fake.test/v1"


def run(suite, store, fake, resume=None, limit=None, **kw):
    options = RunOptions(store=store, endpoint=URL, meter=TokenMeter(),
                         transport=httpx.ASGITransport(app=fake.app), **kw)
    return run_suite(suite, options, resume=resume, limit=limit)


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
    assert "Settings: the same in A and B for the cells both have." in result.output
    rsa = next(r for r in done.rows if r.key == ("rsa", "N=4 K=2 T=2", "jsonl"))
    assert (f"| rsa N=4 K=2 T=2 · jsonl | {rsa.correct}/3 | {rsa.correct}/3 | +0.000 ["
            in result.output)


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


def always_right(body: dict) -> str:
    """Every sample and every aggregation answers the problem correctly."""
    prompt = prompt_of(body)
    return f"so\n\\boxed{{{problem_value(prompt)}}}"


def _edge_suite(tmp_path: Path) -> Path:
    """Two datasets with the same questions: gold right (every answer scores) and gold off by
    1000 (no answer can score), so cells land at exactly 100% and 0%."""
    smoke = (ROOT / "evals" / "data" / "smoke.jsonl").read_text()
    rows = [json.loads(line) for line in smoke.splitlines() if line]
    (tmp_path / "wrong.jsonl").write_text("".join(
        json.dumps({**r, "answer": str(int(r["answer"]) + 1000)}) + "\n" for r in rows))
    return _suite(tmp_path, f"""\
        name: edges
        datasets: {{right: {{source: {ROOT / 'evals' / 'data' / 'smoke.jsonl'}}},
                    wrong: {{source: {tmp_path / 'wrong.jsonl'}}}}}
        recipes: {{single: RECIPES/single.yaml, rsa: RECIPES/rsa_math.yaml}}
        grid: {{N: [2], K: [2], T: [2]}}
        """)


def test_0_and_100_percent_cells_report_plot_and_resume(tmp_path):
    suite, store = _edge_suite(tmp_path), tmp_path / "store"
    first = run(suite, store, FakeLLM(reply=always_right), max_cost=0.0008)
    assert first.status == "budget" and first.exit_code == 3  # stopped inside the suite
    done = run(None, store, FakeLLM(reply=always_right), resume=first.suite_id, max_cost=1.0)
    assert done.status == "ok"
    assert [(r.recipe, r.dataset, r.correct, r.items) for r in done.rows] == [
        ("single", "right", 3, 3), ("single", "wrong", 0, 3),
        ("rsa", "right", 3, 3), ("rsa", "wrong", 0, 3)]
    records = read_csv(done.folder / "report.csv")
    assert [(r["ci_low"], r["ci_high"]) for r in records if r["dataset"] == "wrong"] == \
        [("0.0", "0.5614970317550454")] * 2
    assert [(r["ci_low"], r["ci_high"]) for r in records if r["dataset"] == "right"] == \
        [("0.4385029682449546", "1.0")] * 2
    md = (done.folder / "report.md").read_text()
    assert "| rsa | N=2 K=2 T=2 | wrong | 0.000 [0.000, 0.561] |" in md
    assert "| rsa | N=2 K=2 T=2 | right | 1.000 [0.439, 1.000] |" in md
    for png in ("accuracy_vs_cost.png", "accuracy_vs_step.png"):
        assert (done.folder / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # two cells' runs compared by run id: 3/3 vs 0/3, B - A = -1 [-1, -0.206] (see test_compare)
    right, wrong = (r.run_id for r in done.rows if r.recipe == "rsa")
    cli = CliRunner().invoke(main, ["eval", "--compare", right, wrong, "--store", str(store)])
    assert cli.exit_code == 0, cli.output
    assert "Settings: the same." in cli.output
    assert "| rsa_math | 3/3 | 0/3 | -1.000 [-1.000, -0.206] | yes |" in cli.output
    mixed = CliRunner().invoke(main, ["eval", "--compare", right, done.suite_id, "--store",
                                      str(store)])
    assert mixed.exit_code == 2
    assert "compare two suites or two runs, not one of each" in mixed.output


def test_limit_runs_the_first_items_of_each_dataset_and_resume_keeps_it(tmp_path):
    suite, store = _edge_suite(tmp_path), tmp_path / "store"
    fake = FakeLLM(reply=always_right)
    lines: list[str] = []
    done = run_suite(suite, RunOptions(store=store, endpoint=URL, meter=TokenMeter(),
                                       transport=httpx.ASGITransport(app=fake.app)),
                     limit=2, echo=lines.append)
    assert [(r.recipe, r.dataset, r.items) for r in done.rows] == [
        ("single", "right", 2), ("single", "wrong", 2), ("rsa", "right", 2), ("rsa", "wrong", 2)]
    asked = {prompt_of(b).split("Compute ")[1].split(".")[0] for b in fake.requests}
    assert asked == {"12+7*3", "5*6-4"}  # s1 and s2, never s3
    # single: 1 call an item; rsa N=2 T=2: 4 calls an item; 2 items, 2 datasets -> 20 calls
    assert lines[0] == "[1/4] single · right (suite: 0/20 calls, $0, ETA ?)"
    assert lines[1].startswith("  2/2 correct = 100.0% (95% CI 34.2%-100.0%) · $0.0000")
    # the same questions as `right`: the response cache answers them, for $0
    assert lines[3].startswith("  0/2 correct = 0.0% (95% CI 0.0%-65.8%) · $0 · run ")
    assert re.fullmatch(r"\[2/4\] single · wrong \(suite: 2/20 calls, \$0\.0000\d+, "
                        r"ETA \d+s\)", lines[2]), lines[2]
    assert re.fullmatch(r"\[4/4\] rsa N=2 K=2 T=2 · wrong \(suite: 12/20 calls, .*\)", lines[6])
    assert lines[7].endswith(f" · run {done.rows[3].run_id}")
    assert "first 2 items of each dataset" in (done.folder / "report.md").read_text()
    with pytest.raises(InputError, match="started with --limit 2; resume it without --limit"):
        run(None, store, fake, resume=done.suite_id, limit=3)
    again = run(None, store, fake, resume=done.suite_id)
    assert [r.items for r in again.rows] == [2, 2, 2, 2]


def test_suite_eta_is_the_calls_left_at_the_measured_rate():
    plan = load_suite(SMOKE, limit=1)
    # per item: single 1, sc 2 and 4, rsa N=2 T=1 2, N=2 T=2 4, N=4 T=1 4, N=4 T=2 8; 2 datasets
    assert plan.planned_calls == sum(c.planned_calls for c in plan.cells) == 2 * (1 + 2 + 4 + 2
                                                                                 + 4 + 4 + 8)
    now = [100.0]
    progress = SuiteProgress(plan, [].append, clock=lambda: now[0])
    assert progress.eta_s(0) is None  # nothing answered yet: no rate
    progress.answered, now[0] = 10, 105.0  # 10 calls in 5 s: 2 calls/s
    assert progress.eta_s(calls_done=10) == (plan.planned_calls - 10) / 2


@pytest.mark.slow
def test_pipe_eval_smoke_end_to_end_on_the_embedded_model(tmp_path):
    """The suite the README offers for a first look, as a user runs it (the tiny model gets
    every chain_sum item wrong: 0% cells go through the report and the plots)."""
    result = CliRunner().invoke(main, ["eval", str(SMOKE), "--limit", "1", "--plain",
                                       "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "store" / "evals").iterdir()
    records = read_csv(folder / "report.csv")
    assert len(records) == 14 and {r["items"] for r in records} == {"1"}
    assert any(r["correct"] == "0" and r["ci_low"] == "0.0" for r in records)
    assert "[14/14] rsa N=4 K=2 T=2 · chain_sum (suite: " in result.output
    for png in ("accuracy_vs_cost.png", "accuracy_vs_step.png"):
        assert (folder / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
