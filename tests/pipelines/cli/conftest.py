"""Shared by the CLI tests: a three-item quiz with gold answers, served by a fake endpoint
that gets two right (one only by the recipe's `normalized` equivalence), and `pipe` itself
run as a subprocess at 80 columns."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

ROOT = Path(__file__).resolve().parents[3]
RECIPE = """\
name: quiz
dataset:
  source: inline
  items:
    - {id: one, question: "1+1", answer: "2"}
    - {id: two, question: "2+2", answer: "4"}
    - {id: three, question: "3+3", answer: "6"}
model: deepseek-chat
nodes:
  solve: {kind: llm, prompt: solve.j2, vars: {question: "${item.question}"}, n: 2}
  answer: {kind: vote, from: "${solve.output}", extract: boxed, equivalence: normalized}
outputs:
  gold: ${item.answer}
  answer: ${answer.output.answer}
"""
REPLIES = {"1+1": "so \\boxed{2}", "2+2": "so \\boxed{4.0}", "3+3": "so \\boxed{7}"}
"""Right, right by the recipe's `normalized` equivalence (4.0 == 4), wrong: 2/3 correct."""


def quiz_reply(body: dict) -> str:
    return REPLIES[body["messages"][-1]["content"].removeprefix("Solve: ")]


def pipe(*args: str, **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "80"}
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, **kwargs)


@pytest.fixture
def quiz(tmp_path):
    (tmp_path / "solve.j2").write_text("Solve: {{ question }}")
    recipe = tmp_path / "quiz.yaml"
    recipe.write_text(RECIPE)
    return recipe


@pytest.fixture
def quiz_run(quiz, tmp_path):
    """One finished run of the quiz: (store, `run --json` summary)."""
    store = tmp_path / "store"
    with serve(FakeLLM(reply=quiz_reply).app) as url:
        out = pipe("run", str(quiz), "--endpoint", url, "--json", "--store", str(store))
    assert out.returncode == 0, out.stderr
    return store, json.loads(out.stdout)
