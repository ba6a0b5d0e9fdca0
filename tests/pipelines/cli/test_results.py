"""What a user reads after a run, through real `pipe` subprocesses against a real HTTP server:
accuracy in `run`, `run --json`, `runs` and `show`; full ids and dollars at 80 columns;
`runs` filters; `--estimate --json`; an ETA before any item finishes."""

from __future__ import annotations

import json
import re
import textwrap

from pipelines import format_usd, wilson_interval
from tests.pipelines.cli.conftest import RECIPE, ROOT, pipe, quiz_reply
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve


def test_run_json_reports_accuracy_judged_by_the_recipes_equivalence(quiz_run):
    _, summary = quiz_run
    low, high = wilson_interval(2, 3)
    assert summary["accuracy"] == {"correct": 2, "total": 3, "accuracy": 2 / 3,
                                   "ci95_low": low, "ci95_high": high}
    assert {i["item_id"]: (i["gold"], i["correct"]) for i in summary["items"]} == \
        {"one": ("2", 1), "two": ("4", 1), "three": ("6", 0)}


def test_run_text_ends_with_accuracy_and_meaningful_dollars(quiz, tmp_path):
    store = tmp_path / "text"
    with serve(FakeLLM(reply=quiz_reply).app) as url:
        out = pipe("run", str(quiz), "--endpoint", url, "--store", str(store))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "accuracy 2/3 correct = 66.7% (95% CI 20.8%-93.9%)" in lines
    run_id = re.search(r"pipe show (\S+)", out.stdout).group(1)
    shown = json.loads(pipe("show", run_id, "--store", str(store), "--json").stdout)
    calls_line = next(line for line in lines if line.startswith("calls "))
    assert calls_line.endswith(format_usd(shown["total_usd"]))
    assert re.search(r"\$0\.0*[1-9]\d\d$", calls_line)  # three significant digits
    # only the copyable commands may run past 80 columns (a long --store path is not cut)
    assert max(len(line) for line in lines if not line.startswith(("details", "export"))) <= 80


def test_runs_at_80_columns_shows_the_full_id_accuracy_and_dollars(quiz_run):
    store, summary = quiz_run
    out = pipe("runs", "--store", str(store))
    row = next(line for line in out.stdout.splitlines() if summary["run_id"] in line)
    assert row.split()[:5] == [summary["run_id"], "ok", "3/3", "66.7%",
                               format_usd(summary["usd"])]
    listed = json.loads(pipe("runs", "--store", str(store), "--json").stdout)
    assert listed[0]["accuracy"]["correct"] == 2 and listed[0]["accuracy"]["total"] == 3


def test_show_states_accuracy_and_keeps_the_id_whole(quiz_run):
    store, summary = quiz_run
    out = pipe("show", summary["run_id"], "--store", str(store))
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith(f"{summary['run_id']} quiz: ok")
    assert "accuracy 2/3 correct = 66.7% (95% CI 20.8%-93.9%)" in lines
    solve = next(line for line in lines if line.startswith("solve "))
    assert solve.split()[1] == "6" and solve.endswith(format_usd(summary["usd"]))
    marks = {line.split()[0]: line.split()[2] for line in lines if line.split()[:1] in
             (["one"], ["two"], ["three"])}
    assert marks == {"one": "✓", "two": "✓", "three": "✗"}


def test_runs_filters_and_limit(quiz, quiz_run):
    store, first = quiz_run
    with serve(FakeLLM(reply=quiz_reply).app) as url:
        second = json.loads(pipe("run", str(quiz), "--endpoint", url, "--json", "--store",
                                 str(store), "--no-cache").stdout)

    def ids(*args):
        return [r["run_id"] for r in json.loads(pipe("runs", "--store", str(store), "--json",
                                                     *args).stdout)]
    assert ids() == [second["run_id"], first["run_id"]]
    assert ids("--limit", "1") == [second["run_id"]]
    assert pipe("runs", "--store", str(store), "--limit", "1").stdout.splitlines()[-1] == \
        "newest 1 shown; older ones: --limit N or --all"
    assert ids("--recipe", "quiz", "--status", "ok") == [second["run_id"], first["run_id"]]
    assert ids("--recipe", "other") == [] and ids("--status", "interrupted") == []
    bad = pipe("runs", "--store", str(store), "--status", "done")
    assert bad.returncode == 2 and "'done' is not one of" in bad.stderr


def test_estimate_json_is_json_and_spends_nothing(quiz, tmp_path):
    out = pipe("run", str(quiz), "--estimate", "--json", "--store", str(tmp_path / "none"))
    assert out.returncode == 0, out.stderr
    est = json.loads(out.stdout)
    assert est["name"] == "quiz" and est["items"] == 3
    assert [(n["node"], n["calls"]) for n in est["nodes"]] == [("solve", 6)]
    assert not (tmp_path / "none").exists()


def test_eta_shows_before_any_item_finishes(tmp_path):
    recipe = ROOT / "tests" / "pipelines" / "recipes" / "rsa.yaml"
    fake = FakeLLM(delay=lambda body: 0.3)  # 16 rounds of 2 calls: ~5 s, past the 2 s ticks
    with serve(fake.app) as url:
        out = pipe("run", str(recipe), "--endpoint", url, "--plain", "--concurrency", "2",
                   "-p", "N=4", "-p", "T=4", "--store", str(tmp_path), "--no-cache")
    assert out.returncode == 0, out.stderr
    early = [line for line in out.stderr.splitlines() if line.startswith("items 0/2")]
    assert any(re.search(r"ETA \d+s$", line) for line in early), out.stderr


def test_a_recipe_without_gold_reports_no_accuracy(tmp_path):
    (tmp_path / "solve.j2").write_text("Solve: {{ question }}")
    recipe = tmp_path / "nogold.yaml"
    recipe.write_text(textwrap.dedent(RECIPE).replace(', answer: "2"}', "}")
                      .replace(', answer: "4"}', "}").replace(', answer: "6"}', "}")
                      .replace("  gold: ${item.answer}\n", ""))
    with serve(FakeLLM(reply=quiz_reply).app) as url:
        out = pipe("run", str(recipe), "--endpoint", url, "--json", "--store", str(tmp_path / "s"))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["accuracy"] is None
    assert {i["correct"] for i in summary["items"]} == {None}


def test_accuracy_on_the_embedded_model_agrees_with_its_answers(tmp_path):
    out = pipe("run", "recipes/rsa_math.yaml", "-p", "size=3", "-p", "N=2", "-p", "K=2",
               "-p", "T=2", "--json", "--store", str(tmp_path))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    # integer answers: the recipe's `math` equivalence agrees with string equality
    right = [i["outputs"]["answer"] == i["outputs"]["gold"] for i in summary["items"]]
    assert [bool(i["correct"]) for i in summary["items"]] == right
    low, high = wilson_interval(sum(right), 3)
    assert summary["accuracy"] == {"correct": sum(right), "total": 3, "accuracy": sum(right) / 3,
                                   "ci95_low": low, "ci95_high": high}
    shown = pipe("show", summary["run_id"], "--store", str(tmp_path)).stdout
    assert f"accuracy {sum(right)}/3 correct = " in shown
