"""Shared pieces of the batch tests: a price sheet with windows that cross midnight and a
price change, input files, and an in-process OpenAI-compatible fake."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.pipelines.fake_llm import FakeLLM

TEST_SHEET = """\
name: testsheet
version: "1"
models:
  test-model:
    aliases: [acme/test-model]
    batch_multiplier: 0.5
    periods:
      - from: "2025-01-01T00:00:00Z"
        until: "2025-06-01T00:00:00Z"
        rates: {input_miss: 1.0, input_hit: 0.1, output: 2.0}
        windows:
          - {start: "22:00", end: "02:00", tier: off-peak, multiplier: 0.5}
      - from: "2025-06-01T00:00:00Z"
        rates: {input_miss: 2.0, output: 4.0}
        windows:
          - {start: "01:00", end: "03:00", tier: off-peak, multiplier: 0.25}
"""
MODEL = "test-model"


@pytest.fixture
def sheet(tmp_path: Path) -> Path:
    path = tmp_path / "testsheet.yaml"
    path.write_text(TEST_SHEET)
    return path


def request_line(custom_id: str, model: str = MODEL, **body) -> str:
    body = {"model": model, "messages": [{"role": "user", "content": f"question {custom_id}"}],
            "max_tokens": 16, **body}
    return json.dumps({"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
                       "body": body})


def write_input(path: Path, count: int, model: str = MODEL, **body) -> Path:
    path.write_text("".join(request_line(f"req-{i:05d}", model, **body) + "\n"
                            for i in range(count)))
    return path


def custom_id_of(body: dict) -> str:
    """The fake server's view of which request it was sent (the prompt names it)."""
    return body["messages"][-1]["content"].removeprefix("question ")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture
def fake() -> FakeLLM:
    return FakeLLM()


def transport_for(fake: FakeLLM) -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=fake.app)
