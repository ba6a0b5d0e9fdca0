"""An llm node's n samples as one request with `n` (#20): the prompt is sent, processed and
billed once; every sample is still recorded, cached and resumed on its own; an endpoint that
ignores or refuses `n` gets a request per sample for the rest of the run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

import pipelines
from pipelines import RunOptions
from pipelines.storage.run_store import RunStore
from tests.pipelines.execution.n_choice_llm import PROMPT_TOKENS, NChoiceLLM
from tests.pipelines.fake_llm import FakeLLM

URL = "http://fake.test/v1"
RECIPE = """\
name: n_test
params:
  N: {type: int, default: 4}
dataset:
  source: inline
  items: %s
nodes:
  solve:
    kind: llm
    prompt: solve.j2
    vars: {question: "${item.question}"}
    n: ${params.N}
    temperature: 1.0
    max_tokens: 40
    seed: 5
  check:
    kind: llm
    prompt: check.j2
    vars: {first: "${solve.output[0]}"}
    n: ${params.N}
    temperature: 1.0
    max_tokens: 40
    seed: 5
outputs:
  solved: ${solve.output}
  checked: ${check.output}
"""
ONE_ITEM = '[{id: a, question: "3+4"}]'
TWO_ITEMS = '[{id: a, question: "3+4"}, {id: b, question: "2+2"}]'


def write(folder: Path, items: str = ONE_ITEM) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "solve.j2").write_text("Solve, then give the answer: {{ question }}")
    (folder / "check.j2").write_text("Check this answer: {{ first }}")
    (folder / "recipe.yaml").write_text(RECIPE % items)
    return folder / "recipe.yaml"


def run(fake, recipe: Path | None, store: Path, endpoint=URL, **kw) -> pipelines.RunResult:
    return pipelines.run(recipe, {}, RunOptions(endpoint=endpoint, store=store, cache=False,
                                                transport=httpx.ASGITransport(app=fake.app),
                                                **kw))


def sent_with_n(fake) -> list[dict]:
    return [b for b in fake.requests if "n" in b]


def test_one_request_per_node_each_sample_recorded_with_the_prompt_once(tmp_path):
    fake = NChoiceLLM()
    result = run(fake, write(tmp_path / "r"), tmp_path / "s")
    assert result.exit_code == 0
    assert [b["n"] for b in fake.requests] == [4, 4] and len(fake.requests) == 2
    rows = RunStore(tmp_path / "s").calls(result.run_id)
    assert len(rows) == 8 and result.stats.calls == 8  # calls count samples
    for node in ("solve", "check"):
        mine = [r for r in rows if r.node == node]
        assert [r.prompt_tokens for r in mine] == [PROMPT_TOKENS, 0, 0, 0]
        assert len({r.call_key for r in mine}) == 4
    outputs = result.items[0]["outputs"]
    assert len(set(outputs["solved"])) == 4 and len(set(outputs["checked"])) == 4
    again = FakeLLM()  # the same recipe a request per sample: the prompt billed 4 times
    separate = run(again, write(tmp_path / "r2"), tmp_path / "s2",
                   endpoint={"url": URL, "n_requests": "separate"})
    assert len(again.requests) == 8 and not sent_with_n(again)
    assert all(r.prompt_tokens > 0 for r in RunStore(tmp_path / "s2").calls(separate.run_id))


def test_a_second_run_answers_every_sample_from_the_cache(tmp_path):
    fake, recipe = NChoiceLLM(), write(tmp_path / "r")
    options = dict(cache=True)
    first = pipelines.run(recipe, {}, RunOptions(endpoint=URL, store=tmp_path / "s",
                                                 transport=httpx.ASGITransport(app=fake.app),
                                                 **options))
    second = pipelines.run(recipe, {}, RunOptions(endpoint=URL, store=tmp_path / "s",
                                                  transport=httpx.ASGITransport(app=fake.app),
                                                  **options))
    assert len(fake.requests) == 2
    assert second.stats.cache_hits == second.stats.calls == 8
    assert second.items[0]["outputs"] == first.items[0]["outputs"]
    assert pipelines.show(second.run_id, tmp_path / "s")["total_usd"] in (0.0, None)


def test_resume_asks_only_for_the_missing_samples_with_a_seed_of_their_own(tmp_path):
    fake = NChoiceLLM()
    first = run(fake, write(tmp_path / "r"), tmp_path / "s")
    before = first.items[0]["outputs"]["solved"]
    group_seed = fake.requests[0]["seed"]  # solve's request for all 4
    with sqlite3.connect(tmp_path / "s" / "runs.sqlite") as db:  # fault injection: a crash
        ids = [i for (i,) in db.execute("SELECT id FROM calls WHERE node = 'solve' ORDER BY id")]
        db.execute(f"DELETE FROM calls WHERE id IN ({ids[2]}, {ids[3]}) OR node = 'check'")
        db.execute("DELETE FROM node_outputs")
        db.execute("DELETE FROM items")
    fake.requests.clear()
    resumed = run(fake, None, tmp_path / "s", resume=first.run_id)
    assert resumed.exit_code == 0
    solve = [b for b in fake.requests if b["messages"][0]["content"].startswith("Solve")]
    assert [b["n"] for b in solve] == [2]  # samples 2 and 3 only, in one request
    assert solve[0]["seed"] != group_seed  # else its choices would repeat samples 0 and 1
    after = resumed.items[0]["outputs"]["solved"]
    assert after[:2] == before[:2] and len(set(after)) == 4  # no choice repeated


def test_an_endpoint_that_ignores_n_gets_a_request_per_sample_for_the_rest_of_the_run(tmp_path):
    fake = FakeLLM()  # answers one choice whatever n asks
    result = run(fake, write(tmp_path / "r"), tmp_path / "s")
    assert result.exit_code == 0
    assert [b["n"] for b in sent_with_n(fake)] == [4]  # solve asked once; check never did
    assert len(fake.requests) == 8  # every sample answered once: nothing paid twice
    seeds = [b["seed"] for b in fake.requests if b["messages"][0]["content"].startswith("Solve")]
    assert len(set(seeds)) == 4
    assert len(RunStore(tmp_path / "s").calls(result.run_id)) == 8


def test_n_requests_one_fails_clearly_where_n_is_ignored(tmp_path):
    fake = FakeLLM()
    result = run(fake, write(tmp_path / "r"), tmp_path / "s",
                 endpoint={"url": URL, "n_requests": "one"})
    assert result.exit_code == 1
    error = result.items[0]["error"]
    assert "answered 1 choice(s) to a request for n=4" in error
    assert "n_requests: separate" in error
    rows = RunStore(tmp_path / "s").calls(result.run_id)
    assert [r.status for r in rows] == ["ok"]  # the choice it did answer is kept (paid)


def test_an_endpoint_that_refuses_n_is_asked_once_per_sample(tmp_path):
    fake = FakeLLM(fail=lambda body: 400 if "n" in body else None)
    result = run(fake, write(tmp_path / "r"), tmp_path / "s")
    assert result.exit_code == 0
    assert len(sent_with_n(fake)) == 1  # refused once, then learnt for the run
    assert len(fake.requests) == 1 + 8
    assert pipelines.show(result.run_id, tmp_path / "s")["nodes"][0]["errors"] == 0


def test_a_refusal_that_is_not_about_n_fails_the_item_after_one_request_per_sample(tmp_path):
    fake = FakeLLM(fail=lambda body: 400)
    result = run(fake, write(tmp_path / "r"), tmp_path / "s")
    assert result.exit_code == 1 and "400" in result.items[0]["error"]
    assert len(sent_with_n(fake)) == 1 and len(fake.requests) == 1 + 4  # none retried


@pytest.mark.parametrize("value", ["sometimes", 2])
def test_a_bad_n_requests_is_refused_before_any_call(tmp_path, value):
    recipe = write(tmp_path / "r")
    recipe.write_text(recipe.read_text() + f"endpoint: {{url: {URL}, n_requests: {value}}}\n")
    with pytest.raises(pipelines.RecipeError) as refused:
        pipelines.validate(recipe, {})
    message = str(refused.value)
    assert "endpoint.n_requests: Input should be 'auto', 'one' or 'separate'" in message
    assert "fix: set `n_requests:` to auto" in message
