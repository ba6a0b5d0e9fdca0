"""A one-node recipe whose calls cost about $1 each under a real price sheet, and a fake whose
replies are exactly `OUTPUT_TOKENS` long by its own usage count."""

from __future__ import annotations

from pathlib import Path

from tests.pipelines.fake_llm import FakeLLM

MODEL = "priced-model"
OUTPUT_TOKENS = 50
INPUT_RATE, OUTPUT_RATE = 100.0, 20000.0
"""USD per 1M tokens: one output token costs $0.02, a reply of 50 tokens $1.00."""
SHEET = f"""\
name: budgetsheet
version: "1"
models:
  {MODEL}:
    periods:
      - from: "2020-01-01T00:00:00Z"
        rates: {{input_miss: {INPUT_RATE}, output: {OUTPUT_RATE}}}
"""
RECIPE = f"""\
name: budget_test
model: {MODEL}
pricing: sheet.yaml
params:
  n: {{type: int, default: 8}}
dataset:
  source: inline
  items: [{{id: a, question: q}}]
nodes:
  solve:
    kind: llm
    prompt: solve.j2
    vars: {{question: "${{item.question}}"}}
    n: ${{params.n}}
    max_tokens: {OUTPUT_TOKENS}
outputs:
  first: ${{solve.output[0]}}
"""
PROMPT = "Solve: q"  # what solve.j2 renders to
REPLY = "x" * (4 * OUTPUT_TOKENS - 4)  # the fake counts len // 4 + 1 tokens


def per_call_usd() -> float:
    """What one call costs by the fake's usage: (8 // 4 + 1) prompt tokens, 50 output."""
    return ((len(PROMPT) // 4 + 1) * INPUT_RATE + OUTPUT_TOKENS * OUTPUT_RATE) / 1e6


def write_recipe(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sheet.yaml").write_text(SHEET)
    (folder / "solve.j2").write_text("Solve: {{ question }}")
    (folder / "recipe.yaml").write_text(RECIPE)
    return folder / "recipe.yaml"


def priced_fake(**kw) -> FakeLLM:
    return FakeLLM(reply=lambda body: REPLY, **kw)
