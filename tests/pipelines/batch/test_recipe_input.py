"""A recipe over its dataset as a batch job: its first-level llm calls, rendered as `pipe run`
would send them."""

from __future__ import annotations

import pytest

from pipelines.batch import jobs
from pipelines.batch.recipe_input import requests_from_recipe
from pipelines import RunOptions
from pipelines.execution.call_path import sample_seed
from pipelines.errors import InputError
from tests.pipelines.batch.conftest import read_jsonl, transport_for

RECIPE = """\
name: bulk
params:
  n: {type: int, default: 2}
model: test-model
dataset:
  source: inline
  items: [{id: a, question: "1+1"}, {id: b, question: "2+2"}]
nodes:
  solve:
    kind: llm
    prompt: solve.j2
    vars: {question: "${item.question}"}
    n: ${params.n}
    seed: 7
    max_tokens: 32
  shout:
    kind: llm
    messages: [{role: system, content: "Be loud."}, {role: user, content: "{{ item.question }}!"}]
  judge:
    kind: llm
    prompt: judge.j2
    vars: {answers: "${solve.output}"}
"""
FILES = {"solve.j2": "Solve: {{ question }}", "judge.j2": "Pick one of {{ answers }}"}


def test_first_level_llm_calls_become_requests(recipe_dir):
    path = recipe_dir(RECIPE, FILES)
    requests = requests_from_recipe(path)
    assert [r.custom_id for r in requests] == [
        "a/solve#0", "a/solve#1", "a/shout#0", "b/solve#0", "b/solve#1", "b/shout#0"]
    first = requests[0].body
    assert first == {"model": "test-model", "max_tokens": 32,
                     "messages": [{"role": "user", "content": "Solve: 1+1"}],
                     "seed": sample_seed(7, "a", "solve", 0)}
    assert requests[2].body["messages"] == [{"role": "system", "content": "Be loud."},
                                            {"role": "user", "content": "1+1!"}]
    assert len(requests_from_recipe(path, {"n": 3}, model="other")) == 8
    assert requests_from_recipe(path, model="other")[0].body["model"] == "other"


def test_a_recipe_job_runs_and_its_outputs_are_keyed_by_item_node_and_sample(
        tmp_path, recipe_dir, fake, sheet):
    path = recipe_dir(RECIPE, FILES)
    store = tmp_path / "s"
    done = jobs.submit(path, {"n": 1},
                       RunOptions(transport=transport_for(fake), store=store,
                                  endpoint="http://fake/v1"), api="concurrent", pricing=str(sheet))
    assert done.outcome.state == "completed" and done.outcome.counts["done"] == 4
    jobs.results(done.job_id, tmp_path / "out.jsonl", store=store)
    assert sorted(o["custom_id"] for o in read_jsonl(tmp_path / "out.jsonl")) == [
        "a/shout#0", "a/solve#0", "b/shout#0", "b/solve#0"]
    assert sorted(b["messages"][-1]["content"] for b in fake.requests) == [
        "1+1!", "2+2!", "Solve: 1+1", "Solve: 2+2"]


def test_a_recipe_with_nothing_to_batch_is_refused(recipe_dir):
    path = recipe_dir("""\
        name: none
        model: m
        dataset: {source: inline, items: [{id: a, question: q}]}
        nodes:
          pick: {kind: value, value: 1}
        """)
    with pytest.raises(InputError, match="nothing can be batched"):
        requests_from_recipe(path)


def test_jsonl_only_options_are_refused_for_a_recipe_and_the_reverse(tmp_path, recipe_dir):
    path = recipe_dir(RECIPE, FILES)
    with pytest.raises(InputError, match="unknown param 'nope'"):
        jobs.submit(path, {"nope": 1}, RunOptions(store=tmp_path / "s"), run=False)
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("")
    with pytest.raises(InputError, match="-p/--param applies to a recipe"):
        jobs.submit(jsonl, {"n": 1}, RunOptions(store=tmp_path / "s"), run=False)
