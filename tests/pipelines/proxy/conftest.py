"""A priced RSA-shaped recipe, a fake upstream that does sums, and the proxy in front of it,
each on a real 127.0.0.1 port."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import openai
import pytest

from pipelines.proxy import ProxySettings, create_app
from tests.pipelines.fake_llm import FakeLLM
from tests.pipelines.live_server import serve

MODEL = "priced-model"
SHEET = f"""\
name: proxysheet
version: "1"
models:
  {MODEL}:
    periods:
      - from: "2020-01-01T00:00:00Z"
        rates: {{input_miss: 100.0, output: 20000.0}}
"""
RECIPE = """\
name: rsa_test
model: priced-model
pricing: sheet.yaml
params:
  N: {type: int, default: 3}
  K: {type: int, default: 2}
  T: {type: int, default: 2}
  temperature: {type: float, default: 1.0}
  max_tokens: {type: int, default: 64}
  seed: {type: int, default: 1}
dataset:
  source: inline
  items: [{id: a, question: "What is 1+1?", answer: "2"}]
nodes:
  solve:
    kind: llm
    prompt: solve.j2
    vars: {question: "${item.question}"}
    n: ${params.N}
    temperature: ${params.temperature}
    max_tokens: ${params.max_tokens}
    seed: ${params.seed}
  steps:
    kind: repeat
    times: ${params.T - 1}
    init: ${solve.output}
    output: aggregate
    body:
      groups: {kind: groups, from: "${prev}", count: "${params.N}", size: "${params.K}"}
      aggregate:
        kind: llm
        map: ${groups.output}
        prompt: aggregate.j2
        vars: {question: "${item.question}", candidates: "${each}"}
        temperature: ${params.temperature}
        max_tokens: ${params.max_tokens}
        seed: ${params.seed}
  answer:
    kind: vote
    from: ${steps.output}
    extract: boxed
    equivalence: normalized
outputs:
  answer: ${answer.output.answer}
  votes: ${answer.output.votes}
"""
SUM = re.compile(r"What is (\d+)\+(\d+)\?")


def sums(body: dict) -> str:
    """A solution to the sum in the prompt: right, except when the sum's first term is 7.
    200 characters, which the fake counts as 51 output tokens: $1.02 a call by SHEET."""
    a, b = map(int, SUM.search(body["messages"][-1]["content"]).groups())
    answer = f"\\boxed{{{a + b + (1 if a == 7 else 0)}}}"
    return f"{a} plus {b}: ".ljust(200 - len(answer), ".") + answer


def write_recipe(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sheet.yaml").write_text(SHEET)
    (folder / "solve.j2").write_text("Solve: {{ question }}")
    (folder / "aggregate.j2").write_text(
        "Improve: {{ question }}\n{% for c in candidates %}---- {{ c }}\n{% endfor %}")
    (folder / "recipe.yaml").write_text(RECIPE)
    return folder / "recipe.yaml"


@dataclass
class Proxy:
    url: str
    store: Path
    fake: FakeLLM
    recipe: Path

    def client(self, **kw) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url, api_key="unused", max_retries=0, **kw)


@pytest.fixture
def proxy_for(tmp_path: Path):
    """proxy_for(fake=None, **settings) -> a running proxy over a fake upstream."""
    stack = []

    def start(fake: FakeLLM | None = None, **settings) -> Proxy:
        fake = fake or FakeLLM(reply=sums)
        upstream = serve(fake.app)
        stack.append(upstream)
        recipe = write_recipe(tmp_path / "recipe")
        options = {"upstream": upstream.__enter__(), "store": tmp_path / "store",
                   "progress_s": 0.02, **settings}
        app = serve(create_app(ProxySettings(recipe=recipe, **options)))
        stack.append(app)
        return Proxy(app.__enter__(), Path(options["store"]), fake, recipe)

    yield start
    for server in reversed(stack):
        server.__exit__(None, None, None)


def ask(question: str) -> list[dict]:
    return [{"role": "system", "content": "You are terse."}, {"role": "user", "content": question}]


@pytest.fixture
def proxy(proxy_for) -> Iterator[Proxy]:
    yield proxy_for()
