"""Every class of bad input in hostile_cases.py ends in exit 2 with its own error, each problem
once, nothing written; `pipe run` on the costly ones makes no call at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli.main import main
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve
from tests.pipelines.recipe.hostile_cases import BASE, CASES, FILES, Case, node

PIPE = str(Path(sys.executable).parent / "pipe")


def problems(output: str) -> list[str]:
    """The problem lines of an error report (not the header, not the fix lines)."""
    return [ln.strip() for ln in output.splitlines()
            if ln.startswith("  ") and not ln.strip().startswith("fix:")]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_bad_input_class_ends_in_exit_2_with_its_error(case: Case, tmp_path, monkeypatch):
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(tmp_path)
    recipe = case.write(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(recipe), *case.args])
    assert result.exit_code == 2, result.output
    assert case.expect in result.output, result.output
    assert result.output.startswith("error: "), result.output
    assert "Traceback" not in result.output
    found = problems(result.output)
    assert len(found) == len(set(found)), f"a problem reported twice:\n{result.output}"
    assert not (tmp_path / ".pipe").exists()


def test_there_are_at_least_60_distinct_classes():
    ids = [c.id for c in CASES]
    assert len(set(ids)) == len(ids) >= 60


def _run(recipe: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 120):
    return subprocess.run([PIPE, *args[:1], str(recipe), *args[1:]], capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.mark.parametrize("case_id, expected", [
    ("group_size_over_population", "groups node steps.1.groups: size 5 is larger than the "
                                   "population of 4 it draws from (the output of solve)"),
    ("samples_billion", "llm node solve: n is 1,000,000,000, over the limit of 1,024 (PIPE_MAX_FANOUT)"),
    ("sandbox_outputs", "(outputs.leak): the expression reads the internal attribute '__class__'"),
    ("int_bomb_per_item_field", "(nodes.big.value): 7 ** 40353607 would be an integer of about "
                                "113,286,898 bits, over the limit of 65,536 (PIPE_MAX_INT_BITS)"),
    ("template_symlink_outside", "(nodes.solve): template 'solve.j2' resolves to "),
])
def test_pipe_run_refuses_before_any_call_and_writes_nothing(case_id, expected, tmp_path):
    case = next(c for c in CASES if c.id == case_id)
    recipe = case.write(tmp_path)
    fake = FakeLLM()
    with serve(fake.app) as url:
        done = _run(recipe, "run", "--endpoint", url, "--model", "m", "--store",
                    str(tmp_path / "store"), *case.args)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr, done.stderr
    assert fake.requests == []
    assert not (tmp_path / "store").exists()


def test_huge_repeat_fails_fast_and_the_limit_can_be_raised(tmp_path):
    recipe = Case("ok", "").write(tmp_path)
    refused = _run(recipe, "validate", "-p", "T=1000000000", timeout=60)
    assert refused.returncode == 2
    assert ("recipe.yaml:10 (nodes): the number of nodes after unrolling repeats is "
            "2,000,000,001, over the limit of 10,000 (PIPE_MAX_NODES)") in refused.stderr
    assert "fix: lower the repeats' `times`; if it is intended, set PIPE_MAX_NODES above 10,000" \
        in refused.stderr
    raised = _run(recipe, "validate", "-p", "T=10000", "-p", "N=2", "-p", "K=2", timeout=60,
                  env={"PIPE_MAX_NODES": "30000", "PIPE_MAX_CALLS_PER_ITEM": "30000"})
    assert raised.returncode == 0, raised.stderr
    assert "ok: hostile: 20001 nodes after unrolling" in raised.stdout


def test_file_level_errors_name_file_and_line_through_the_executable(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_bytes(BASE.encode() + b"description: caf\xe9\n")
    done = _run(recipe, "validate")
    assert done.returncode == 2
    assert f"{recipe}:32: the file is not UTF-8 text (byte 0xe9 at offset" in done.stderr
    recipe.write_text(BASE + "---\nname: again\n")
    done = _run(recipe, "validate")
    assert done.returncode == 2
    assert f"{recipe}:32: the file holds more than one YAML document" in done.stderr


def test_all_problems_are_reported_together(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = (BASE.replace("kind: vote", "kind: poll").replace("${item.question}\"}\n    n:",
                                                             "${itm.question}\"}\n    n:")
            + "endpoint: http://user:pw@host/v1\ncolour: red\n")
    recipe = Case("many", "", text, files={"agg.j2": FILES["agg.j2"]}).write(tmp_path)
    result = CliRunner().invoke(main, ["validate", str(recipe), "-p", "K=9"])
    assert result.exit_code == 2
    found = problems(result.output)
    assert result.output.startswith(f"error: {len(found)} problem(s) found")
    expected = ["unknown key 'colour'", "unknown node kind 'poll'",
                "node solve references unknown name 'itm'",
                "size 9 is larger than the population of 4",
                "template file 'solve.j2' not found", "carries credentials"]
    for fragment in expected:
        assert sum(fragment in line for line in found) == 1, (fragment, result.output)
    assert len(found) == len(expected)


def test_a_typo_in_a_repeat_body_is_reported_once_whatever_the_repeats(recipe_dir):
    text = BASE.replace('candidates: "${each}"', 'candidates: "${eahc}"')
    recipe = recipe_dir(text, FILES)
    for times in ("1", "2", "50"):
        result = CliRunner().invoke(main, ["validate", str(recipe), "-p", f"T={times}"])
        assert result.exit_code == 2
        assert problems(result.output) == [
            f"{recipe}:24 (nodes.steps.body.aggregate): node steps.1.aggregate references "
            "unknown name 'eahc'"], result.output


def test_fix_hints_fit_their_problem(recipe_dir):
    recipe = recipe_dir(BASE, FILES)
    result = CliRunner().invoke(main, ["validate", str(recipe), "-p", "N=0"])
    assert f"{recipe}:15 (nodes.solve.n): Input should be greater than or equal to 1, got 0" \
        in result.output
    assert "fix: use a value >= 1 (it comes from -p N=...)" in result.output
    assert "type" not in result.output
    bad_default = recipe_dir(BASE.replace("default: 4}", "default: eight}"), FILES)
    result = CliRunner().invoke(main, ["validate", str(bad_default)])
    assert result.exit_code == 2
    assert "param N must be int, got 'eight'" in result.output
    assert "fix: change its default to an int, e.g. default: 8" in result.output
    assert result.output.count("eight") == 1


def test_validate_takes_endpoint_and_model_as_run_does(recipe_dir):
    recipe = recipe_dir(BASE, FILES)
    result = CliRunner().invoke(main, ["validate", str(recipe), "--endpoint", "http://h:9/v1?k=s"])
    assert result.exit_code == 2
    assert "command line (--endpoint): endpoint.url: the URL for host 'h' has a query string" \
        in result.output
    result = CliRunner().invoke(main, ["validate", str(recipe), "--endpoint", "http://h:9/v1",
                                       "--model", "mystery-model"])
    assert result.exit_code == 0, result.output
    assert "warning: no price known for model 'mystery-model'" in result.output


def test_a_body_that_runs_zero_times_is_still_checked(recipe_dir):
    recipe = recipe_dir(BASE.replace("kind: groups", "kind: grops"), FILES)
    result = CliRunner().invoke(main, ["validate", str(recipe), "-p", "T=1"])
    assert result.exit_code == 2
    assert problems(result.output) == [
        f"{recipe}:23 (nodes.steps.body.groups.kind): unknown node kind 'grops'"]
    ok = CliRunner().invoke(main, ["validate", str(recipe_dir(BASE, FILES)), "-p", "T=1"])
    assert "ok: hostile: 3 nodes after unrolling" in ok.output


def test_dataset_fields_read_by_templates_are_checked(recipe_dir):
    files = {**FILES, "solve.j2": "{{ question }} {{ item.hint }}"}
    recipe = recipe_dir(BASE, files)
    result = CliRunner().invoke(main, ["validate", str(recipe)])
    assert result.exit_code == 2
    assert problems(result.output) == [
        f"{recipe}:9 (dataset.items.0): dataset row has no field 'hint', which "
        "nodes.solve reads"], result.output


def test_limit_overrides_apply_per_command(recipe_dir, monkeypatch):
    recipe = recipe_dir(node('  big: {kind: value, value: "${ 2 ** 70000 }"}\n'), FILES)
    refused = CliRunner().invoke(main, ["validate", str(recipe)])
    assert refused.exit_code == 2 and "PIPE_MAX_INT_BITS" in refused.output
    monkeypatch.setenv("PIPE_MAX_INT_BITS", "200000")
    assert CliRunner().invoke(main, ["validate", str(recipe)]).exit_code == 0


def test_a_broken_block_is_one_problem_not_one_per_use(recipe_dir):
    case = next(c for c in CASES if c.id == "params_not_mapping")
    recipe = recipe_dir(case.text, FILES)
    result = CliRunner().invoke(main, ["validate", str(recipe)])
    assert result.exit_code == 2
    assert problems(result.output) == [
        f"{recipe}:2 (params): Input should be a valid dictionary, got ['N']"]


def test_yaml_errors_get_the_fix_of_their_kind(recipe_dir):
    tagged = recipe_dir(BASE + "x: !!python/object/apply:os.system [ls]\n", FILES)
    result = CliRunner().invoke(main, ["validate", str(tagged)])
    assert f"{tagged}:32:4: YAML syntax error: could not determine a constructor" in result.output
    assert "fix: use plain YAML values: no !!tags, no lists or mappings as keys" in result.output
    broken = recipe_dir(BASE.replace("n: ${params.N}", "n: [${params.N}"), FILES)
    result = CliRunner().invoke(main, ["validate", str(broken)])
    assert f"{broken}:15:10: YAML syntax error: did not find expected ',' or ']'" in result.output
    assert "fix: fix the indentation or quoting at that line" in result.output
