"""Adaptive stopping (`stop_when:` on a repeat): an item whose population agrees skips its
remaining repetitions (no calls, stored as skipped, not failed), the final vote reads the last
population computed, an item that never agrees runs every step, resume re-applies a stored
stop, and the estimate stays the worst case of every step running."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3

import httpx

import pipelines
from pipelines import RunOptions
from pipelines.cost import load_meter
from pipelines.endpoints import EndpointClient, resolve_endpoint
from pipelines.execution.budget import Budget
from pipelines.execution.call_path import CallPath
from pipelines.execution.dataflow import ItemDataflow
from pipelines.execution.stats import Stats
from pipelines.storage import RunStore
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

RECIPE = """\
name: adaptive_test
params:
  N: {type: int, default: 4}
  T: {type: int, default: 3}
  adaptive: {type: bool, default: true}
  agreement: {type: float, default: 0.75}
dataset:
  source: inline
  items:
    - {id: agree, question: "same", answer: "7"}
    - {id: split, question: "differ", answer: "7"}
nodes:
  solve:
    kind: llm
    prompt: solve.j2
    vars: {question: "${item.question}"}
    n: ${params.N}
    seed: 1
  steps:
    kind: repeat
    times: ${params.T - 1}
    init: ${solve.output}
    output: aggregate
    stop_when:
      enabled: ${params.adaptive}
      agreement: ${params.agreement}
      min_samples: 2
      extract: none
      equivalence: exact
    body:
      groups: {kind: groups, from: "${prev}", count: "${params.N}", size: 2}
      aggregate:
        kind: llm
        map: ${groups.output}
        prompt: aggregate.j2
        vars: {question: "${item.question}", candidates: "${each}"}
        seed: 1
  answer: {kind: vote, from: "${steps.output}", extract: none, equivalence: exact}
outputs:
  answer: ${answer.output.answer}
  votes: ${answer.output.votes}
"""
FILES = {"solve.j2": "Solve: {{ question }}",
         "aggregate.j2": "Improve: {{ question }} {{ candidates | join(' / ') }}"}


def reply(body: dict) -> str:
    """`same` always answers 7; `differ` answers something new every call."""
    prompt = body["messages"][-1]["content"]
    if "same" in prompt:
        return "7"
    return hashlib.sha1(f"{prompt}|{body.get('seed')}".encode()).hexdigest()[:8]


def _run(recipe, url: str, store, **params):
    return pipelines.run(recipe, params, RunOptions(endpoint=url, store=store, cache=False))


def test_agreeing_item_skips_the_rest_and_votes_on_its_last_population(recipe_dir, tmp_path):
    recipe, fake = recipe_dir(RECIPE, FILES), FakeLLM(reply=reply)
    with serve(fake.app) as url:
        result = _run(recipe, url, tmp_path / "s")
    assert result.exit_code == 0 and {i["status"] for i in result.items} == {"ok"}
    store = RunStore(tmp_path / "s")
    calls = {}
    for c in store.calls(result.run_id):
        calls[c.item_id] = calls.get(c.item_id, 0) + 1
    assert calls == {"agree": 4, "split": 4 + 2 * 4}  # agree: the first population only
    agree = store.outputs(result.run_id, item_id="agree")["agree"]
    assert agree["steps.1"]["stop"] is True and agree["steps.1"]["share"] == 1.0
    for skipped in ("steps.1.groups", "steps.2", "steps.2.groups"):
        assert "stop_when: 4/4 answers agreed before repetition 1" in agree[skipped]["skipped"]
    assert agree["steps.2.aggregate"] == agree["solve"] == ["7"] * 4  # the population carried
    assert agree["answer"]["answer"] == "7" and agree["answer"]["votes"] == 4
    split = store.outputs(result.run_id, item_id="split")["split"]
    assert split["steps.1"]["stop"] is False and split["steps.2"]["stop"] is False
    assert not any(isinstance(v, dict) and "skipped" in v for v in split.values())
    assert split["answer"]["votes"] == 1


def test_disabled_rule_leaves_the_plan_as_without_it(recipe_dir):
    recipe = recipe_dir(RECIPE, FILES)
    off = pipelines.validate(recipe, {"adaptive": False})
    on = pipelines.validate(recipe, {"adaptive": True})
    without = recipe_dir(RECIPE.replace("    stop_when:\n      enabled: ${params.adaptive}\n"
                                        "      agreement: ${params.agreement}\n"
                                        "      min_samples: 2\n      extract: none\n"
                                        "      equivalence: exact\n", ""), FILES)
    plain = pipelines.validate(without, {})
    assert list(off.nodes) == list(plain.nodes)
    assert sorted(off.graph.edges) == sorted(plain.graph.edges)
    assert set(on.nodes) - set(off.nodes) == {"steps.1", "steps.2"}
    assert ("steps.1", "steps.1.groups") in on.graph.edges  # step 1 waits for its gate
    assert ("steps.1.aggregate", "steps.2") in on.graph.edges


def test_estimate_is_the_worst_case_of_every_step(recipe_dir):
    recipe = recipe_dir(RECIPE, FILES)
    options = RunOptions(endpoint="http://127.0.0.1:9/v1")
    on = pipelines.estimate(recipe, {"adaptive": True}, options)
    off = pipelines.estimate(recipe, {"adaptive": False}, options)
    assert [(r["node"], r["calls"]) for r in on["nodes"]] == \
        [(r["node"], r["calls"]) for r in off["nodes"]] == \
        [("solve", 8), ("steps.1.aggregate", 8), ("steps.2.aggregate", 8)]


def test_resume_reapplies_a_stored_stop_without_calls(recipe_dir, tmp_path):
    """A kill between the gate's output and its skips: the resumed item writes the skips from
    the stored gate output and makes no call."""
    recipe, fake = recipe_dir(RECIPE, FILES), FakeLLM(reply=reply)
    with serve(fake.app) as url:
        result = _run(recipe, url, tmp_path / "s")
    store = RunStore(tmp_path / "s")
    before = store.outputs(result.run_id, item_id="agree")["agree"]
    with sqlite3.connect(tmp_path / "s" / "runs.sqlite") as db:  # fault injection
        gone = db.execute("DELETE FROM node_outputs WHERE run_id = ? AND item_id = 'agree' AND "
                          "node NOT IN ('solve', 'steps.0', 'steps.1')", (result.run_id,)).rowcount
    assert gone == len(before) - 3
    sent = len(fake.requests)
    plan = pipelines.validate(recipe, {})
    client = EndpointClient(resolve_endpoint("http://fake.test/v1"),
                            transport=httpx.ASGITransport(app=fake.app))
    stats = Stats()
    calls = CallPath(run_id=result.run_id, store=store, client=client, cache=None,
                     meter=load_meter(), model=plan.model, offline=False, budget=Budget(None),
                     stats=stats, prompt_tokens=lambda m: 1)
    flow = ItemDataflow(plan, calls, store, result.run_id, stats, tmp_path / "art")
    item = {"id": "agree", "question": "same", "answer": "7"}
    asyncio.run(flow.run([item], skip=set()))
    assert len(fake.requests) == sent and stats.calls == 0
    assert store.outputs(result.run_id, item_id="agree")["agree"] == before
