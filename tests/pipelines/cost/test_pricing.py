"""`--pricing SHEET_OR_PROFILE` and the lookup order: recipe `pricing:` > `--pricing` > model
id match > unknown, through `pipelines.run`, `pipe run`, `pipe validate` and `pipe eval`."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

import pipelines
from pipelines import RunOptions
from pipelines.cli.main import main
from pipelines.cost.pricing import resolve_pricing, shipped_names
from pipelines.cost.profiles import PROFILES_DIR
from pipelines.cost.sheets import SHEETS_DIR
from pipelines.errors import InputError
from pipelines.storage import RunStore
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

PIPE = Path(sys.executable).with_name("pipe")
PER_M = 0.045 * 2 / 3600 * 1e6  # embedded-cpu: $25 per 1M CPU-seconds
RECIPE = """\
name: tiny
endpoint: http://fake/v1
model: {model}
{pricing}
dataset:
  source: inline
  items: [{{id: a, question: "1+1", answer: "2"}}, {{id: b, question: "2+2", answer: "4"}}]
nodes:
  solve: {{kind: llm, prompt: solve.j2, vars: {{question: "${{item.question}}"}}, max_tokens: 16}}
outputs:
  answer: ${{solve.output}}
"""


def sheet(path: Path, name: str, models: dict[str, tuple[float, float]]) -> Path:
    """A price sheet: model -> (input_miss, output) $ per 1M tokens, from 2025-01-01."""
    body = "".join(f"  {m}:\n    periods:\n      - from: '2025-01-01'\n"
                   f"        rates: {{input_miss: {i}, output: {o}}}\n"
                   for m, (i, o) in models.items())
    path.write_text(f"name: {name}\nversion: '1'\nmodels:\n{body}")
    return path


def recipe(folder: Path, model: str = "m", pricing: str | None = None) -> Path:
    (folder / "solve.j2").write_text("Solve: {{ question }}")
    path = folder / "recipe.yaml"
    path.write_text(RECIPE.format(model=model, pricing=f"pricing: {pricing}" if pricing else ""))
    return path


def run_calls(path: Path, store: Path, **options):
    result = pipelines.run(path, options=RunOptions(
        store=store, transport=httpx.ASGITransport(app=FakeLLM().app), **options))
    return RunStore(store).calls(result.run_id)


def by_rates(call, input_rate: float, output_rate: float) -> float:
    return (call.prompt_tokens * input_rate + call.completion_tokens * output_rate) / 1e6


def test_shipped_names_resolve_to_their_files(tmp_path):
    assert shipped_names() == ["deepseek", "openai", "deepseek-v3-h100", "deepseek-v3-h800-ep144",
                               "embedded-cpu", "gpt-oss-20b-h100", "qwen3-30b-a3b-h100"]
    assert resolve_pricing("deepseek") == SHEETS_DIR / "deepseek.yaml"
    assert resolve_pricing("embedded-cpu") == PROFILES_DIR / "embedded-cpu.yaml"
    # a profile's `name:` works too, and a path wins over a name
    assert resolve_pricing("deepseek-v3-h100-ep16") == PROFILES_DIR / "deepseek-v3-h100.yaml"
    own = sheet(tmp_path / "openai", "mine", {"m": (1, 2)})
    assert resolve_pricing(str(own)) == own
    with pytest.raises(InputError, match=r"pricing 'nope': no such file.*fix: give a YAML path "
                                         r"or one of deepseek, openai, deepseek-v3-h100"):
        resolve_pricing("nope")


def test_recipe_pricing_then_cli_pricing_then_model_id_then_unknown(tmp_path):
    a = sheet(tmp_path / "a.yaml", "a", {"m": (1.0, 2.0)})
    b = sheet(tmp_path / "b.yaml", "b", {"m": (10.0, 20.0), "m2": (3.0, 4.0)})
    # 1. the recipe's own sheet prices m, whatever --pricing says
    (first := tmp_path / "1").mkdir()
    for call in run_calls(recipe(first, "m", str(a)), tmp_path / "s1", pricing=str(b)):
        assert call.price_source == "sheet:a/1@2025-01-01"
        assert call.cost_usd == pytest.approx(by_rates(call, 1.0, 2.0), rel=1e-12)
    # 2. the recipe's sheet does not list m2: --pricing does
    (second := tmp_path / "2").mkdir()
    for call in run_calls(recipe(second, "m2", str(a)), tmp_path / "s2", pricing=str(b)):
        assert call.price_source == "sheet:b/1@2025-01-01"
        assert call.cost_usd == pytest.approx(by_rates(call, 3.0, 4.0), rel=1e-12)
    # a profile given as pricing prices every model, by name
    (third := tmp_path / "3").mkdir()
    for call in run_calls(recipe(third, "anything"), tmp_path / "s3", pricing="embedded-cpu"):
        assert call.price_source == "profile:embedded-cpu-v2"
        if call.tier == "standard":  # daytime: batch 8 at 4,032 tok/s; off-peak: 9,541
            assert call.cost_usd == pytest.approx(by_rates(call, PER_M / 11793, PER_M / 4032))
    # 3. no pricing at all: the model id (gpt-4o-mini in the shipped openai sheet)
    (fourth := tmp_path / "4").mkdir()
    for call in run_calls(recipe(fourth, "gpt-4o-mini"), tmp_path / "s4"):
        assert call.price_source == "sheet:openai/2025-06-01@2024-10-01"
        assert call.cost_usd == pytest.approx(by_rates(call, 0.15, 0.60), rel=1e-12)
    # 4. nothing prices it: unknown, never zero
    (fifth := tmp_path / "5").mkdir()
    for call in run_calls(recipe(fifth, "nobody-prices-me"), tmp_path / "s5"):
        assert (call.price_source, call.cost_usd) == ("unknown", None)


def test_validate_names_the_pricing_fix_and_pricing_silences_it(tmp_path):
    path = recipe(tmp_path, "my-model")
    warned = CliRunner().invoke(main, ["validate", str(path)])
    assert warned.exit_code == 0
    assert ("warning: no price known for model 'my-model': its calls will be recorded as unknown "
            "cost; fix: --pricing SHEET_OR_PROFILE (a YAML path or a shipped name: deepseek, "
            "openai, deepseek-v3-h100, deepseek-v3-h800-ep144, embedded-cpu, gpt-oss-20b-h100, "
            "qwen3-30b-a3b-h100)"
            ", or `pricing:` in the recipe") in warned.output
    priced = CliRunner().invoke(main, ["validate", str(path), "--pricing", "embedded-cpu"])
    assert priced.exit_code == 0 and "warning" not in priced.output
    bad = CliRunner().invoke(main, ["validate", str(path), "--pricing", "nope"])
    assert bad.exit_code == 2 and "pricing 'nope': no such file" in bad.output


def test_pipe_run_with_pricing_against_a_url(tmp_path):
    rates = sheet(tmp_path / "mine.yaml", "mine", {"my-model": (0.5, 1.5)})
    with serve(FakeLLM().app) as url:
        done = subprocess.run(
            [str(PIPE), "run", str(recipe(tmp_path, "my-model")), "--endpoint", url,
             "--pricing", str(rates), "--store", str(tmp_path / "s"), "--plain"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path,
            env={**os.environ, "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    store = RunStore(tmp_path / "s")
    (run,) = store.runs()
    calls = store.calls(run["run_id"])
    assert len(calls) == 2
    for call in calls:
        assert call.price_source == "sheet:mine/1@2025-01-01"
        assert call.cost_usd == pytest.approx(by_rates(call, 0.5, 1.5), rel=1e-12)


def test_pipe_eval_passes_pricing_to_every_run(tmp_path):
    rates = sheet(tmp_path / "mine.yaml", "mine", {"my-model": (2.0, 8.0)})
    (tmp_path / "data.jsonl").write_text('{"question": "1+1", "answer": "2"}\n'
                                         '{"question": "2+3", "answer": "5"}\n')
    suite = tmp_path / "suite.yaml"
    suite.write_text(textwrap.dedent(f"""\
        name: priced
        datasets:
          tiny: {{source: data.jsonl}}
        recipes:
          single: {Path(pipelines.__file__).resolve().parents[1] / 'recipes' / 'single.yaml'}
        params: {{max_tokens: 16}}
        """))
    with serve(FakeLLM().app) as url:
        done = CliRunner().invoke(main, ["eval", str(suite), "--endpoint", url, "--model",
                                         "my-model", "--pricing", str(rates), "--store",
                                         str(tmp_path / "s"), "--plain"])
    assert done.exit_code == 0, done.output
    store = RunStore(tmp_path / "s")
    calls = [c for r in store.runs() for c in store.calls(r["run_id"])]
    assert len(calls) == 2
    for call in calls:
        assert call.price_source == "sheet:mine/1@2025-01-01"
        assert call.cost_usd == pytest.approx(by_rates(call, 2.0, 8.0), rel=1e-12)
