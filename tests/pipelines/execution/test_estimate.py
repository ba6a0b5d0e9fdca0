"""`--estimate` counts the `ctx.chat` calls python nodes declare (and the run holds them to
the declaration), or says they are unbounded; its figures bound what a run really costs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

import pipelines
from pipelines import RecipeError, RunOptions
from tests.pipelines.execution.budget_recipe import SHEET, priced_fake

URL = "http://fake.test/v1"
STEPS = """\
async def ask(ctx, question, times, size):
    return [await ctx.chat([{"role": "user", "content": question * size}])
            for _ in range(times)]


def plain(question):
    return question.upper()
"""
RECIPE = """\
name: py_chat
model: priced-model
pricing: sheet.yaml
allow_python: true
params:
  times: {type: int, default: 2}
  size: {type: int, default: 10}
dataset:
  source: inline
  items: [{id: a, question: q1}, {id: b, question: q2}]
nodes:
  ask:
    kind: python
    function: steps.py:ask
    inputs: {question: "${item.question}", times: "${params.times}", size: "${params.size}"}
%s
outputs:
  answers: ${ask.output}
"""
DECLARED = "    calls: 2\n    max_tokens: 50\n    max_prompt_tokens: 100"


def write(tmp_path: Path, declaration: str = DECLARED) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "sheet.yaml").write_text(SHEET)
    (tmp_path / "steps.py").write_text(STEPS)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE % declaration)
    return recipe


def options(fake, tmp_path: Path) -> RunOptions:
    return RunOptions(endpoint=URL, store=tmp_path / "s", cache=False,
                      transport=httpx.ASGITransport(app=fake.app))


def test_declared_chat_calls_are_estimated_and_bound_the_real_cost(tmp_path):
    recipe = write(tmp_path)
    est = pipelines.estimate(recipe, {}, RunOptions(endpoint=URL))
    # 2 items x 2 calls, each at most 100 prompt tokens ($100/M) and 50 output ($20,000/M)
    assert est["nodes"] == [{"node": "ask", "calls": 4, "prompt_tokens": 400,
                             "max_output_tokens": 200, "usd": pytest.approx(4 * 1.01)}]
    assert est["total_usd"] == pytest.approx(4.04) and est["unbounded"] == []

    fake = priced_fake()
    result = pipelines.run(recipe, {}, options(fake, tmp_path))
    assert result.exit_code == 0, result.items
    assert [b["max_tokens"] for b in fake.requests] == [50] * 4  # the declared cap is sent
    spent = pipelines.show(result.run_id, tmp_path / "s")["total_usd"]
    # the fake bills "q1" x 10 as 20 // 4 + 1 = 6 prompt tokens and 50 output tokens
    assert spent == pytest.approx(4 * (6 * 100 + 50 * 20000) / 1e6) == pytest.approx(4.0024)
    assert spent <= est["total_usd"]


def test_a_call_past_the_declaration_fails_its_item_unsent(tmp_path):
    recipe, fake = write(tmp_path), priced_fake()
    result = pipelines.run(recipe, {"times": 3}, options(fake, tmp_path))
    assert result.exit_code == 1
    assert len(fake.requests) == 4  # the third call of each item was never sent
    assert all("made more than its declared calls: 2" in i["error"] for i in result.items)

    fake = priced_fake()
    big = pipelines.run(recipe, {"size": 100}, options(fake, tmp_path))
    assert fake.requests == []  # "q1" x 100 = 200 bytes + 72 template tokens > 100
    assert all("up to 272 tokens is above its declared max_prompt_tokens: 100" in i["error"]
               for i in big.items)


def test_undeclared_chat_calls_make_the_estimate_unbounded(tmp_path):
    est = pipelines.estimate(write(tmp_path, declaration=""), {}, RunOptions(endpoint=URL))
    assert est["nodes"] == [{"node": "ask", "calls": None, "prompt_tokens": None,
                             "max_output_tokens": None, "usd": None}]
    assert est["total_usd"] is None and est["unbounded"] == ["ask"]
    assert est["notes"] == ["python node ask may call ctx.chat any number of times: its calls "
                            "are not in the total (declare calls, max_tokens and "
                            "max_prompt_tokens on the node)"]


def test_a_partial_or_misplaced_declaration_is_a_validation_error(tmp_path):
    with pytest.raises(RecipeError) as partial:
        pipelines.validate(write(tmp_path / "a", "    calls: 2"))
    assert "['max_tokens', 'max_prompt_tokens'] missing" in str(partial.value)

    recipe = write(tmp_path / "b", DECLARED)
    recipe.write_text(recipe.read_text().replace("steps.py:ask", "steps.py:plain").replace(
        ', times: "${params.times}", size: "${params.size}"', ""))
    with pytest.raises(RecipeError) as misplaced:
        pipelines.validate(recipe)
    assert "steps.py:plain takes no `ctx`" in str(misplaced.value)


def test_a_python_node_that_never_reads_ctx_makes_no_calls(tmp_path):
    recipe = write(tmp_path, declaration="")
    (tmp_path / "steps.py").write_text(textwrap.dedent("""\
        def ask(ctx, question, times, size):
            return [question] * times
    """))
    est = pipelines.estimate(recipe, {}, RunOptions(endpoint=URL))
    assert est["nodes"] == [] and est["total_usd"] == 0.0 and est["unbounded"] == []
