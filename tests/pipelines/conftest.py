from __future__ import annotations

import textwrap
from pathlib import Path

import pytest


@pytest.fixture
def recipe_dir(tmp_path: Path):
    """Write a recipe (and optional side files) into a fresh folder; returns a writer."""

    def write(yaml_text: str, files: dict[str, str] | None = None) -> Path:
        for name, body in (files or {}).items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(body))
        recipe = tmp_path / "recipe.yaml"
        recipe.write_text(textwrap.dedent(yaml_text))
        return recipe

    return write


BASIC = """\
name: basic
params:
  n: {type: int, default: 2}
dataset:
  source: inline
  items: [{id: a, question: q1, answer: "1"}]
nodes:
  solve:
    kind: llm
    prompt: solve.j2
    vars: {question: "${item.question}"}
    n: ${params.n}
  answer:
    kind: vote
    from: ${solve.output}
    extract: none
    equivalence: exact
outputs:
  answer: ${answer.output.answer}
"""
