"""The stop gate a repeat's `stop_when:` puts before each repetition: the share it measures,
the first population's own threshold, min_samples, and texts without an answer."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

import pipelines
from pipelines.nodes.base import NodeRun

RECIPE = """\
name: gates
dataset: {source: inline, items: [{id: a, question: q}]}
nodes:
  solve: {kind: llm, prompt: p.j2, n: 4}
  steps:
    kind: repeat
    times: 2
    init: ${solve.output}
    output: again
    stop_when: {agreement: 0.5, first_agreement: 1.0, min_samples: 2, extract: none,
                equivalence: exact}
    body:
      again: {kind: llm, prompt: p.j2, n: 4}
  answer: {kind: vote, from: "${steps.output}", extract: none, equivalence: exact}
"""


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gates")
    (folder / "p.j2").write_text("Solve {{ item.question }}")
    (folder / "recipe.yaml").write_text(textwrap.dedent(RECIPE))
    return pipelines.validate(folder / "recipe.yaml")


def measure(plan, gate_id: str, texts: list[str]) -> dict:
    gate = plan.nodes[gate_id]
    ctx = NodeRun(item={"id": "a"}, params={}, env={"prev": texts}, chat=None,
                  recipe_dir=Path("."), artifacts_dir=Path("."))
    return asyncio.run(gate.run(ctx))


def test_first_population_needs_its_own_share(plan):
    out = measure(plan, "steps.1", ["7", "7", "7", "8"])
    assert (out["stop"], out["share"], out["needed"], out["answer"]) == (False, 0.75, 1.0, "7")
    assert measure(plan, "steps.1", ["7"] * 4)["stop"] is True


def test_later_populations_use_agreement(plan):
    out = measure(plan, "steps.2", ["7", "7", "8", "9"])
    assert (out["stop"], out["share"], out["needed"], out["repetition"]) == (True, 0.5, 0.5, 2)
    assert measure(plan, "steps.2", ["7", "8", "9", "6"])["stop"] is False


def test_too_small_a_population_never_stops(plan):
    assert measure(plan, "steps.2", ["7"])["stop"] is False  # min_samples 2


def test_texts_without_an_answer_count_against_agreement(plan):
    out = measure(plan, "steps.2", ["7", "  ", " ", ""])
    assert (out["stop"], out["votes"], out["population"]) == (False, 1, 4)
