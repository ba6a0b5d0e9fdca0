"""Every validation error class: one clear message naming file:line (or the field) and a fix,
exit code 2, and nothing written to the run store."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from tests.pipelines.conftest import BASIC

PROMPT = {"solve.j2": "Solve {{ question }}"}


def run_validate(recipe: Path, *extra: str):
    result = CliRunner().invoke(main, ["validate", str(recipe), *extra])
    return result.exit_code, result.output


def test_valid_recipe_passes(recipe_dir):
    code, out = run_validate(recipe_dir(BASIC, PROMPT))
    assert code == 0, out
    assert "ok: basic" in out


@pytest.mark.parametrize("mutate, files, expected", [
    # YAML syntax error: line and column
    (lambda s: s.replace("  n: {type: int, default: 2}", "  n: {type: int, default: 2"), PROMPT,
     ["YAML syntax error", "recipe.yaml:"]),
    # unknown key at top level, with its line
    (lambda s: s + "colour: blue\n", PROMPT, ["unknown key 'colour'", "recipe.yaml:20"]),
    # unknown key inside a node
    (lambda s: s.replace("    n: ${params.n}", "    n: ${params.n}\n    temprature: 0.5"), PROMPT,
     ["unknown key 'temprature' for a llm node", "allowed keys"]),
    # wrong type in a node field
    (lambda s: s.replace("    n: ${params.n}", "    n: many"), PROMPT, ["recipe.yaml:12 (nodes.solve.n)", "valid integer"]),
    # unknown reference lists valid names
    (lambda s: s.replace("${solve.output}", "${solv.output}"), PROMPT,
     ["unknown name 'solv'", "valid names here", "solve"]),
    # unknown node kind
    (lambda s: s.replace("kind: vote", "kind: poll"), PROMPT,
     ["unknown node kind 'poll'", "recipe.yaml:14", "vote"]),
    # template variable not provided
    (lambda s: s, {"solve.j2": "Solve {{ question }} in {{ style }}"},
     ["uses ['style']", "add style: ${...} under vars"]),
    # missing template file
    (lambda s: s, {}, ["template file 'solve.j2' not found"]),
    # python node without opt-in
    (lambda s: s.replace("  answer:\n    kind: vote", "  check:\n    kind: python\n"
                         "    function: helpers.py:f\n  answer:\n    kind: vote"), PROMPT,
     ["needs the recipe's explicit opt-in", "allow_python: true"]),
    # missing python file (with opt-in)
    (lambda s: "allow_python: true\n" + s.replace("  answer:\n    kind: vote", "  check:\n    kind: python\n"
                                                  "    function: helpers.py:f\n  answer:\n    kind: vote"),
     PROMPT, ["helpers.py not found"]),
    # python module outside the recipe's folder
    (lambda s: "allow_python: true\n" + s.replace("  answer:\n    kind: vote", "  check:\n    kind: python\n"
                                                  "    function: ../evil.py:f\n  answer:\n    kind: vote"),
     PROMPT, ["outside the recipe's folder"]),
    # cycle names the cycle
    (lambda s: s.replace('vars: {question: "${item.question}"}',
                         'vars: {question: "${answer.output}"}'), PROMPT,
     ["cycle", "solve -> answer -> solve"]),
    # missing required field
    (lambda s: s.replace("name: basic\n", ""), PROMPT, ["missing required field 'name'"]),
    # static field referencing a node
    (lambda s: s.replace("    n: ${params.n}", "    n: ${answer.output}"), PROMPT,
     ["may only use ${params...}"]),
    # unknown dataset source lists known ones
    (lambda s: s.replace("source: inline", "source: nope"), PROMPT,
     ["unknown dataset source 'nope'", "inline"]),
])
def test_each_error_class_is_reported_with_location_and_fix(recipe_dir, tmp_path, mutate, files,
                                                             expected):
    recipe = recipe_dir(mutate(BASIC), files)
    code, out = run_validate(recipe)
    assert code == 2, out
    for fragment in expected:
        assert fragment in out, f"{fragment!r} not in:\n{out}"
    assert "fix:" in out or "YAML" in out
    assert not (tmp_path / ".pipe").exists()


def test_param_override_of_wrong_type(recipe_dir):
    code, out = run_validate(recipe_dir(BASIC, PROMPT), "-p", "n=lots")
    assert code == 2
    assert "param n must be int, got 'lots'" in out and "-p n=2" in out


def test_unknown_param_override_lists_valid_params(recipe_dir):
    code, out = run_validate(recipe_dir(BASIC, PROMPT), "-p", "m=3")
    assert code == 2 and "unknown param 'm'" in out and "['n']" in out


def test_run_validates_first_and_writes_nothing(recipe_dir, tmp_path):
    recipe = recipe_dir(BASIC.replace("kind: vote", "kind: poll"), PROMPT)
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["run", str(recipe), "--store", str(store)])
    assert result.exit_code == 2
    assert "unknown node kind" in result.output
    assert not store.exists()


def test_all_problems_are_reported_at_once(recipe_dir):
    text = BASIC.replace("kind: vote", "kind: poll").replace("${item.question}", "${itm.question}")
    code, out = run_validate(recipe_dir(text, PROMPT))
    assert code == 2
    assert "2 problem(s)" in out


def test_validate_warns_when_no_price_is_known(recipe_dir):
    text = BASIC.replace("name: basic\n", "name: basic\nmodel: mystery-model\nendpoint: http://localhost:9/v1\n")
    result = CliRunner().invoke(main, ["validate", str(recipe_dir(text, PROMPT))])
    assert result.exit_code == 0
    assert "warning: no price known for model 'mystery-model'" in result.output
    priced = CliRunner().invoke(main, ["validate", str(recipe_dir(BASIC, PROMPT))])
    assert "warning" not in priced.output  # the embedded model has a derived price sheet


def test_an_item_reference_in_static_messages_is_one_problem_with_a_jinja_fix(recipe_dir):
    """`${item...}` in message content is refused once, with the fix that works (jinja), and
    the node's own check does not then add "needs prompt or messages" for the same field."""
    text = BASIC.replace("    prompt: solve.j2\n",
                         "    messages: [{role: user, content: '${item.question}'}]\n")
    assert text != BASIC
    code, out = run_validate(recipe_dir(text, PROMPT))
    assert code == 2
    assert "1 problem(s)" in out
    assert "(nodes.solve.messages)" in out and "not ['item']" in out
    assert "write {{ item.question }}" in out
    assert "exactly one of `prompt` or `messages`" not in out
