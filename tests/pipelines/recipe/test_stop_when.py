"""`stop_when:` of a repeat is checked at validate time: every bad value is refused with the
file:line of the key that holds it and a fix, once, before anything runs."""

from __future__ import annotations

import pytest

import pipelines
from pipelines.errors import RecipeError

RECIPE = """\
name: stop_test
params:
  agree: {type: float, default: 0.75}
dataset:
  source: inline
  items: [{id: a, question: q, answer: "1"}]
nodes:
  solve: {kind: llm, prompt: solve.j2, n: 4}
  steps:
    kind: repeat
    times: 2
    init: ${solve.output}
    output: again
    stop_when:
      STOP
    body:
      again: {kind: llm, prompt: solve.j2, n: 4}
  answer: {kind: vote, from: "${steps.output}", extract: none, equivalence: exact}
"""
STOP_LINE = 15


def refused(recipe_dir, stop: str, params: dict | None = None) -> list:
    recipe = recipe_dir(RECIPE.replace("STOP", stop), {"solve.j2": "Solve {{ item.question }}"})
    with pytest.raises(RecipeError) as err:
        pipelines.validate(recipe, params or {})
    return err.value.issues


@pytest.mark.parametrize("stop, line, expect", [
    ("{agreement: 1.5}", STOP_LINE, "less than or equal to 1"),
    ("{agreement: 0}", STOP_LINE, "greater than 0"),
    ("{agreement: most}", STOP_LINE, "valid number"),
    ("{agreement: 0.5, min_samples: 0}", STOP_LINE, "greater than or equal to 1"),
    ("{agreement: 0.5, first_agreement: 2}", STOP_LINE, "less than or equal to 1"),
    ("{agreement: 0.5, enabled: maybe}", STOP_LINE, "valid boolean"),
    ("{agreement: 0.5, extract: boxd}", STOP_LINE, "unknown extract 'boxd'"),
    ("{agreement: 0.5, equivalence: close}", STOP_LINE, "unknown equivalence 'close'"),
    ("{agreement: 0.5, from: x}", STOP_LINE, "unknown key 'from' for stop_when"),
    ("{min_samples: 2}", STOP_LINE - 1, "missing required key 'agreement'"),
    ("0.75", STOP_LINE - 1, "stop_when must be a mapping"),
])
def test_bad_stop_when_is_refused_with_its_line(recipe_dir, stop, line, expect):
    issues = refused(recipe_dir, stop)
    assert len(issues) == 1, issues
    assert expect in issues[0].message
    assert f"recipe.yaml:{line} (nodes.steps.stop_when" in issues[0].where, issues[0].where
    assert issues[0].fix


def test_a_bad_param_behind_agreement_names_the_command_line(recipe_dir):
    issues = refused(recipe_dir, "{agreement: '${params.agree}'}", {"agree": "2"})
    assert len(issues) == 1 and "less than or equal to 1" in issues[0].message
    assert "-p agree=" in issues[0].fix


def test_stop_when_may_not_read_per_item_values(recipe_dir):
    issues = refused(recipe_dir, "{agreement: '${item.question}'}")
    assert len(issues) == 1 and "only use ${params...}" in issues[0].message
    assert f"recipe.yaml:{STOP_LINE} (nodes.steps.stop_when.agreement)" in issues[0].where
